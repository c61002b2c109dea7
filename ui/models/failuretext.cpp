#include "ui/models/failuretext.h"

#include <QCoreApplication>

namespace sluice {

QString failureText(const FailureReason& reason) {
    if (reason.kind == FailureKind::None) {
        return {};
    }
    QString text = QCoreApplication::translate("FailureReason", failureKindLabel(reason.kind));
    if (reason.kind == FailureKind::Http) {
        text = text.arg(reason.status);
    }
    if ((reason.kind == FailureKind::Http || reason.kind == FailureKind::StreamError) &&
        !reason.type.isEmpty()) {
        // The provider's own type ("insufficient_quota") is an identifier: never translated.
        text +=
            (reason.kind == FailureKind::StreamError ? QStringLiteral(": ") : QStringLiteral(" ")) +
            reason.type;
    }
    return text;
}

} // namespace sluice
