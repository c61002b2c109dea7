// core/ is Qt Core + Network + QCoro only: no file under it may include a header of Qt Gui,
// Widgets, Charts or OpenGL. The header names come from the installed Qt itself, so a new class
// cannot slip past a hand-written list.

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

class TestLayering final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void scannerCatchesForbiddenIncludes();
    void coreIncludesNoGuiHeaders();
    void coreBuildFilesLinkNoGui();

private:
    QStringList violations(const QString& root) const;
    QSet<QString> m_forbidden;
};

void TestLayering::initTestCase() {
    const QString qtHeaders = QStringLiteral(SLUICE_QT_HEADERS);
    for (const char* module :
         {"QtGui", "QtWidgets", "QtCharts", "QtOpenGL", "QtOpenGLWidgets", "QtQuick", "QtQml"}) {
        const QString dir = qtHeaders + QLatin1Char('/') + QLatin1String(module);
        m_forbidden.insert(QLatin1String(module));
        QDirIterator it(dir, QDir::Files);
        while (it.hasNext()) {
            it.next();
            m_forbidden.insert(it.fileName());
            m_forbidden.insert(QLatin1String(module) + QLatin1Char('/') + it.fileName());
        }
    }
    QVERIFY2(m_forbidden.contains(QStringLiteral("QWidget")),
             qPrintable(QStringLiteral("Qt headers not found under ") + qtHeaders));
    QVERIFY(m_forbidden.contains(QStringLiteral("QColor")));
    QVERIFY(m_forbidden.contains(QStringLiteral("qwidget.h")));
}

QStringList TestLayering::violations(const QString& root) const {
    static const QRegularExpression include(
        QStringLiteral("^\\s*#\\s*include\\s*[<\"]([^>\"]+)[>\"]"),
        QRegularExpression::MultilineOption);
    QStringList found;
    QDirIterator it(root, {QStringLiteral("*.h"), QStringLiteral("*.hpp"), QStringLiteral("*.cpp")},
                    QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            found.append(path + QStringLiteral(": unreadable"));
            continue;
        }
        const QString text = QString::fromUtf8(file.readAll());
        auto matches = include.globalMatch(text);
        while (matches.hasNext()) {
            const QString header = matches.next().captured(1);
            if (m_forbidden.contains(header)) {
                found.append(QDir(root).relativeFilePath(path) + QStringLiteral(" includes ") +
                             header);
            }
        }
    }
    return found;
}

void TestLayering::scannerCatchesForbiddenIncludes() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QDir(dir.path()).mkpath(QStringLiteral("engine"));
    QFile bad(dir.filePath(QStringLiteral("engine/bad.h")));
    QVERIFY(bad.open(QIODevice::WriteOnly));
    bad.write(
        "#pragma once\n#include <QObject>\n#  include <QtWidgets/QLabel>\n#include \"QPainter\"\n");
    bad.close();
    const QStringList found = violations(dir.path());
    QCOMPARE(found.size(), 2);
    QVERIFY(found.join(QLatin1Char('\n')).contains(QStringLiteral("QtWidgets/QLabel")));
    QVERIFY(found.join(QLatin1Char('\n')).contains(QStringLiteral("QPainter")));
}

void TestLayering::coreIncludesNoGuiHeaders() {
    const QString core = QStringLiteral(SLUICE_SOURCE_DIR "/core");
    QVERIFY(QDir(core).exists());
    const QStringList found = violations(core);
    QVERIFY2(found.isEmpty(), qPrintable(found.join(QLatin1Char('\n'))));
}

void TestLayering::coreBuildFilesLinkNoGui() {
    QFile cmake(QStringLiteral(SLUICE_SOURCE_DIR "/core/CMakeLists.txt"));
    QVERIFY(cmake.open(QIODevice::ReadOnly));
    const QByteArray text = cmake.readAll();
    for (const char* target : {"Qt6::Gui", "Qt6::Widgets", "Qt6::Charts", "Qt6::OpenGL"}) {
        QVERIFY2(!text.contains(target), target);
    }
}

QTEST_APPLESS_MAIN(TestLayering)
#include "tst_layering.moc"
