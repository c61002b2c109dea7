#include "ui/panels/formparts.h"

#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QSpinBox>

namespace sluice::formparts {

QFormLayout* newForm(QGroupBox* box) {
    auto* form = new QFormLayout(box);
    form->setContentsMargins(6, 4, 6, 6);
    form->setVerticalSpacing(4);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    return form;
}

QLabel* fieldLabel(const QString& text, QWidget* field) {
    auto* label = new QLabel(text);
    label->setToolTip(field->toolTip());
    label->setBuddy(field);
    return label;
}

void addRow(QFormLayout* form, const QString& text, QWidget* field) {
    form->addRow(fieldLabel(text, field), field);
}

QSpinBox* spinBox(QWidget* parent, const char* name, int min, int max, const QString& tip) {
    auto* s = new QSpinBox(parent);
    s->setObjectName(QLatin1String(name));
    s->setRange(min, max);
    s->setKeyboardTracking(false);
    s->setToolTip(tip);
    return s;
}

} // namespace sluice::formparts
