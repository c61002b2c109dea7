# One INTERFACE target carries the language level, warnings and strict Qt flags for every target.
add_library(sluice_options INTERFACE)
add_library(Sluice::options ALIAS sluice_options)
target_compile_features(sluice_options INTERFACE cxx_std_20)
target_compile_options(sluice_options INTERFACE
    $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wno-missing-field-initializers>)
target_compile_definitions(sluice_options INTERFACE
    QT_NO_CAST_FROM_ASCII
    QT_NO_NARROWING_CONVERSIONS_IN_CONNECT
    QT_NO_URL_CAST_FROM_STRING
    SLUICE_VERSION="${PROJECT_VERSION}")
