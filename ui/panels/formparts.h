#pragma once

#include <QString>

class QFormLayout;
class QGroupBox;
class QLabel;
class QSpinBox;
class QWidget;

namespace sluice::formparts {

/// The panels' settings forms: a compact QFormLayout on `box`, fields growing to the width.
QFormLayout* newForm(QGroupBox* box);

/// A label for `field` that carries its tooltip, so hovering either explains the knob.
QLabel* fieldLabel(const QString& text, QWidget* field);

/// Adds `field` to `form` under a fieldLabel().
void addRow(QFormLayout* form, const QString& text, QWidget* field);

/// A spin box named `name` (tests and style sheets find it by that name), owned by `parent`.
/// Keyboard tracking is off: a typed value arrives once, when editing finishes, while an arrow
/// step arrives at once; either way valueChanged is the one signal to follow.
QSpinBox* spinBox(QWidget* parent, const char* name, int min, int max, const QString& tip);

} // namespace sluice::formparts
