// core/ is Qt Core + Network + QCoro only: no file under it may include a header of Qt Gui,
// Widgets, Charts or OpenGL. The header names come from the installed Qt itself, so a new class
// cannot slip past a hand-written list.
//
// Inside core/, each folder is a layer with its own library (core/*/CMakeLists.txt) and may
// include only the layers below it; the table in layerRules() is the same graph as the targets'
// links. The engine includes no Qt at all. http_parser.h, a private dependency of the server, is
// included by .cpp files only.

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

namespace {

/// Every #include in a file, as written between the quotes or brackets.
QStringList includesOf(const QString& path, bool* readable) {
    static const QRegularExpression include(
        QStringLiteral("^\\s*#\\s*include\\s*[<\"]([^>\"]+)[>\"]"),
        QRegularExpression::MultilineOption);
    QStringList headers;
    QFile file(path);
    *readable = file.open(QIODevice::ReadOnly);
    if (!*readable) {
        return headers;
    }
    const QString text = QString::fromUtf8(file.readAll());
    auto matches = include.globalMatch(text);
    while (matches.hasNext()) {
        headers.append(matches.next().captured(1));
    }
    return headers;
}

QStringList sourceFiles(const QString& root) {
    QStringList files;
    QDirIterator it(root, {QStringLiteral("*.h"), QStringLiteral("*.hpp"), QStringLiteral("*.cpp")},
                    QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        files.append(it.next());
    }
    files.sort();
    return files;
}

/// What a file in each core/ folder may include from core/: whole layers, plus single headers.
struct LayerRule {
    QStringList layers;
    QStringList headers;
};

const QHash<QString, LayerRule>& layerRules() {
    // The helpers at the core/ root (Sluice::base) use Qt, so the engine may not have them.
    static const QStringList base{QStringLiteral("core/jsonfields.h"),
                                  QStringLiteral("core/result.h"),
                                  QStringLiteral("core/goduration.h"),
                                  QStringLiteral("core/fleetboard.h")};
    static const QHash<QString, LayerRule> rules{
        {QStringLiteral("engine"), {{QStringLiteral("engine")}, {}}},
        {QStringLiteral("metrics"), {{QStringLiteral("engine"), QStringLiteral("metrics")}, base}},
        {QStringLiteral("net"),
         {{QStringLiteral("engine"), QStringLiteral("metrics"), QStringLiteral("net")}, base}},
        {QStringLiteral("redis"),
         {{QStringLiteral("engine"), QStringLiteral("metrics"), QStringLiteral("redis")}, base}},
        // A scenario carries the built-in mock's settings: that value type (Sluice::mockconfig)
        // and nothing else of the server.
        {QStringLiteral("bench"),
         {{QStringLiteral("engine"), QStringLiteral("metrics"), QStringLiteral("net"),
           QStringLiteral("bench")},
          base + QStringList{QStringLiteral("core/server/mock/mockconfig.h")}}},
        {QStringLiteral("server"),
         {{QStringLiteral("engine"), QStringLiteral("metrics"), QStringLiteral("net"),
           QStringLiteral("server")},
          base}},
        // The hosts run the servers and runs below them on worker threads, and follow a
        // distributed run in Redis.
        {QStringLiteral("host"),
         {{QStringLiteral("engine"), QStringLiteral("metrics"), QStringLiteral("net"),
           QStringLiteral("bench"), QStringLiteral("redis"), QStringLiteral("server"),
           QStringLiteral("host")},
          base}},
        // The root's own files (Sluice::base) sit on the engine's clock only.
        {QString(), {{QStringLiteral("engine")}, base}},
    };
    return rules;
}

} // namespace

class TestLayering final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void scannerCatchesForbiddenIncludes();
    void coreIncludesNoGuiHeaders();
    void coreBuildFilesLinkNoGui();
    void layerScannerCatchesWrongIncludes();
    void coreLayersIncludeOnlyTheLayersBelow();
    void engineBuildFileLinksNoQt();

private:
    QStringList violations(const QString& root) const;
    QStringList layerViolations(const QString& root) const;
    QSet<QString> m_forbidden;
    QSet<QString> m_qt; ///< every installed Qt header, for the Qt-free engine
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
    QDirIterator modules(qtHeaders, QDir::Dirs | QDir::NoDotAndDotDot);
    while (modules.hasNext()) {
        const QString module = QFileInfo(modules.next()).fileName();
        m_qt.insert(module);
        QDirIterator it(modules.filePath(), QDir::Files);
        while (it.hasNext()) {
            it.next();
            m_qt.insert(it.fileName());
            m_qt.insert(module + QLatin1Char('/') + it.fileName());
        }
    }
    QVERIFY(m_qt.contains(QStringLiteral("QString")));
    QVERIFY(m_qt.contains(QStringLiteral("QtCore/qobject.h")));
    QVERIFY2(m_forbidden.contains(QStringLiteral("QWidget")),
             qPrintable(QStringLiteral("Qt headers not found under ") + qtHeaders));
    QVERIFY(m_forbidden.contains(QStringLiteral("QColor")));
    QVERIFY(m_forbidden.contains(QStringLiteral("qwidget.h")));
}

QStringList TestLayering::violations(const QString& root) const {
    QStringList found;
    for (const QString& path : sourceFiles(root)) {
        bool readable = false;
        const QStringList headers = includesOf(path, &readable);
        if (!readable) {
            found.append(path + QStringLiteral(": unreadable"));
        }
        for (const QString& header : headers) {
            if (m_forbidden.contains(header)) {
                found.append(QDir(root).relativeFilePath(path) + QStringLiteral(" includes ") +
                             header);
            }
        }
    }
    return found;
}

/// `root` is a source tree (the repository, or a fake one in a self-test) with core/ under it.
QStringList TestLayering::layerViolations(const QString& root) const {
    const QDir rootDir(root);
    const QString core = rootDir.filePath(QStringLiteral("core"));
    QStringList found;
    for (const QString& path : sourceFiles(core)) {
        const QString relative = rootDir.relativeFilePath(path); // core/<layer>/...
        const QStringList parts = relative.split(QLatin1Char('/'));
        const QString layer = parts.size() > 2 ? parts.at(1) : QString();
        const auto rule = layerRules().constFind(layer);
        if (rule == layerRules().cend()) {
            found.append(relative + QStringLiteral(": core/") + layer +
                         QStringLiteral(" is no layer the rules know; add it to layerRules()"));
            continue;
        }
        bool readable = false;
        const QStringList headers = includesOf(path, &readable);
        if (!readable) {
            found.append(relative + QStringLiteral(": unreadable"));
        }
        for (const QString& header : headers) {
            const auto fail = [&](const QString& why) {
                found.append(relative + QStringLiteral(" includes ") + header +
                             QStringLiteral(": ") + why);
            };
            if (header.startsWith(QLatin1String("core/"))) {
                const QStringList target = header.split(QLatin1Char('/'));
                const QString to = target.size() > 2 ? target.at(1) : QString();
                if (!rule->layers.contains(to) && !rule->headers.contains(header)) {
                    fail(QStringLiteral("core/") +
                         (layer.isEmpty() ? QStringLiteral("*.h") : layer) +
                         QStringLiteral(" may not depend on ") +
                         (to.isEmpty() ? header : QStringLiteral("core/") + to));
                }
            } else if (layer == QLatin1String("engine") &&
                       (m_qt.contains(header) ||
                        header.startsWith(QLatin1String("qcoro"), Qt::CaseInsensitive))) {
                fail(QStringLiteral("the engine is plain C++, no Qt"));
            } else if ((header == QLatin1String("http_parser.h") ||
                        header == QLatin1String("nghttp2/nghttp2.h")) &&
                       !path.endsWith(QLatin1String(".cpp"))) {
                fail(QStringLiteral("a private dependency, for .cpp files only"));
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
    QDirIterator it(QStringLiteral(SLUICE_SOURCE_DIR "/core"), {QStringLiteral("CMakeLists.txt")},
                    QDir::Files, QDirIterator::Subdirectories);
    int files = 0;
    while (it.hasNext()) {
        QFile cmake(it.next());
        QVERIFY(cmake.open(QIODevice::ReadOnly));
        ++files;
        const QByteArray text = cmake.readAll();
        for (const char* target : {"Qt6::Gui", "Qt6::Widgets", "Qt6::Charts", "Qt6::OpenGL"}) {
            QVERIFY2(!text.contains(target),
                     qPrintable(cmake.fileName() + QLatin1Char(' ') + QLatin1String(target)));
        }
    }
    QVERIFY(files >= 6); // core/ and one per layer
}

void TestLayering::layerScannerCatchesWrongIncludes() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto write = [&](const char* name, const char* text) {
        const QString path = dir.filePath(QLatin1String(name));
        QDir().mkpath(QFileInfo(path).path());
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(text);
    };
    // Allowed: each of these is a legal arrow.
    write("core/engine/ok.h", "#pragma once\n#include \"core/engine/clock.h\"\n#include <queue>\n");
    write("core/metrics/ok.cpp", "#include \"core/engine/clock.h\"\n#include <QString>\n");
    write("core/bench/ok.cpp", "#include \"core/net/requestengine.h\"\n"
                               "#include \"core/server/mock/mockconfig.h\"\n"
                               "#include \"core/jsonfields.h\"\n");
    write("core/server/ok.cpp", "#include <http_parser.h>\n#include \"core/result.h\"\n");
    // Wrong: one each.
    write("core/metrics/bad.h", "#pragma once\n#include \"core/net/requestengine.h\"\n");
    write("core/engine/bad.cpp", "#  include <QString>\n");
    write("core/engine/bad2.h", "#include \"core/jsonfields.h\"\n");
    write("core/bench/bad.h", "#include \"core/server/mock/mockserver.h\"\n");
    write("core/net/bad.cpp", "#include \"core/bench/scenario.h\"\n");
    write("core/server/bad.h", "#include <http_parser.h>\n");
    write("core/bad.h", "#include \"core/net/llmformat.h\"\n"); // the root sits below net

    const QStringList found = layerViolations(dir.path());
    const QString all = found.join(QLatin1Char('\n'));
    QCOMPARE(found.size(), 7);
    for (const char* file :
         {"core/metrics/bad.h", "core/engine/bad.cpp", "core/engine/bad2.h", "core/bench/bad.h",
          "core/net/bad.cpp", "core/server/bad.h", "core/bad.h"}) {
        QVERIFY2(all.contains(QLatin1String(file)), file);
    }
    QVERIFY2(!all.contains(QLatin1String("ok.")), qPrintable(all));
}

void TestLayering::coreLayersIncludeOnlyTheLayersBelow() {
    const QStringList found = layerViolations(QStringLiteral(SLUICE_SOURCE_DIR));
    QVERIFY2(found.isEmpty(), qPrintable(found.join(QLatin1Char('\n'))));
}

void TestLayering::engineBuildFileLinksNoQt() {
    QFile cmake(QStringLiteral(SLUICE_SOURCE_DIR "/core/engine/CMakeLists.txt"));
    QVERIFY(cmake.open(QIODevice::ReadOnly));
    const QByteArray text = cmake.readAll();
    QVERIFY(text.contains("add_library(sluice_engine"));
    QVERIFY(!text.contains("Qt6::"));
    QVERIFY(!text.contains("QCoro"));
}

QTEST_APPLESS_MAIN(TestLayering)
#include "tst_layering.moc"
