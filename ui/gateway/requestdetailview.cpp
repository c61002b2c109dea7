#include "ui/gateway/requestdetailview.h"

#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QVBoxLayout>

namespace sluice {

namespace {

constexpr std::size_t kMaxTraces = 5000;
constexpr int kMaxPositions = 200;

QString ms(double v) {
    return QObject::tr("%1 ms").arg(QLocale().toString(v, 'f', v < 10 ? 1 : 0));
}

} // namespace

RequestDetailView::RequestDetailView(QWidget* parent)
    : QWidget(parent) {
    setObjectName(QStringLiteral("requestDetailView"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    m_title = new QLabel(tr("Select a row in Requests to follow it here."), this);
    m_title->setContentsMargins(6, 4, 6, 0);
    layout->addWidget(m_title);
    m_timeline = new RequestTimeline(this);
    m_timeline->setMaximumHeight(80);
    layout->addWidget(m_timeline);
    m_text = new QPlainTextEdit(this);
    m_text->setObjectName(QStringLiteral("requestDetailText"));
    m_text->setReadOnly(true);
    m_text->setFrameShape(QFrame::NoFrame);
    layout->addWidget(m_text, 1); // the words get the height left: every line readable
    m_poll.setInterval(500);
    connect(&m_poll, &QTimer::timeout, this, [this] {
        if (m_id != 0) {
            Q_EMIT detailWanted(m_id);
        }
    });
    m_clock.start();
}

void RequestDetailView::recordUpdates(const QList<RequestUpdate>& updates) {
    const double now = static_cast<double>(m_clock.elapsed());
    for (const RequestUpdate& u : updates) {
        auto it = m_traces.find(u.id);
        if (it == m_traces.end()) {
            if (isTerminal(u.state)) {
                continue; // never seen waiting: nothing to trace
            }
            it = m_traces.insert(u.id, Trace{now, {}});
            m_order.push_back(u.id);
            while (m_order.size() > kMaxTraces) {
                m_traces.remove(m_order.front());
                m_order.pop_front();
            }
        }
        if (u.position >= 0 && it->positions.size() < kMaxPositions &&
            (it->positions.isEmpty() || it->positions.last().second != u.position)) {
            it->positions.append({now - it->firstSeenMs, u.position});
        }
    }
}

void RequestDetailView::showRequest(std::uint64_t id) {
    m_following = false;
    m_id = id;
    m_title->setText(tr("Request %1").arg(id));
    Q_EMIT detailWanted(id);
    m_poll.start();
}

void RequestDetailView::offerLatest(std::uint64_t id) {
    if (!m_following || !isVisible() || id == m_id ||
        (m_id != 0 && m_followed.isValid() && m_followed.elapsed() < 2000)) {
        return;
    }
    m_followed.start();
    m_id = id;
    m_title->setText(tr("Request %1").arg(id));
    Q_EMIT detailWanted(id);
    m_poll.start();
}

void RequestDetailView::clear() {
    m_following = true;
    m_id = 0;
    m_poll.stop();
    m_traces.clear();
    m_order.clear();
    m_timeline->clear();
    m_text->clear();
    m_title->setText(tr("Select a row in Requests to follow it here."));
}

QString RequestDetailView::text() const {
    return m_text->toPlainText();
}

void RequestDetailView::setMissing(std::uint64_t id) {
    if (id != m_id) {
        return;
    }
    m_poll.stop();
    m_text->setPlainText(tr("The gateway no longer knows request %1 (it keeps the last 10,000 "
                            "ended ones).")
                             .arg(id));
}

void RequestDetailView::setDetail(const GatewayRequestDetail& d) {
    if (d.id != m_id) {
        return;
    }
    if (d.ended) {
        m_poll.stop();
    }
    const Trace trace = m_traces.value(d.id);
    m_timeline->setDetail(d, trace.positions);
    const QLocale locale;
    QStringList lines;
    const QString priority = d.priority == 0   ? tr("high")
                             : d.priority == 1 ? tr("normal")
                                               : tr("low (%1)").arg(d.priority);
    m_title->setText(
        tr("Request %1 — %2, priority %3%4")
            .arg(d.id)
            .arg(d.state, priority,
                 d.upstreamKey.isEmpty() ? QString() : tr(", key %1").arg(d.upstreamKey)) +
        (m_following ? tr("  (the latest ended; select a row in Requests to hold one)")
                     : QString()));
    if (!trace.positions.isEmpty()) {
        lines << tr("Queued: %1 ahead when first seen, then %2")
                     .arg(locale.toString(trace.positions.first().second),
                          trace.positions.size() > 1
                              ? tr("%1 ahead").arg(locale.toString(trace.positions.last().second))
                              : tr("no move seen"));
    }
    if (d.queueMs >= 0) {
        lines
            << tr("Waited %1 in the gateway's queue before its first attempt.").arg(ms(d.queueMs));
    } else if (d.ahead >= 0) {
        lines
            << tr("Waiting: %1 ahead, about %2 to go.").arg(locale.toString(d.ahead), ms(d.etaMs));
    }
    for (int i = 0; i < d.attemptLog.size(); ++i) {
        const GatewayAttemptRow& a = d.attemptLog.at(i);
        lines << tr("Attempt %1: sent at %2, %3 after %4 (%5)")
                     .arg(i + 1)
                     .arg(ms(a.sentMs),
                          a.status > 0 ? tr("HTTP %1").arg(a.status) : tr("no answer"),
                          ms(a.endedMs - a.sentMs), a.outcome);
    }
    if (d.firstTokenMs >= 0) {
        lines << tr("First token at %1.").arg(ms(d.firstTokenMs));
    }
    if (d.ended) {
        QString why = d.failure.isEmpty() ? tr("done") : d.reason;
        lines << tr("Ended %1 at %2; the caller got %3. Why: %4")
                     .arg(d.state, ms(d.totalMs), d.answered, why);
        if (d.completionTokens > 0) {
            lines << tr("Tokens: %1 in, %2 out.")
                         .arg(locale.toString(d.promptTokens), locale.toString(d.completionTokens));
        }
    } else if (!d.reason.isEmpty()) {
        lines << d.reason;
    }
    m_text->setPlainText(lines.join(QLatin1Char('\n')));
}

} // namespace sluice
