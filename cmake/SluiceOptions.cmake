# One INTERFACE target carries the language level, warnings and strict Qt flags for every target.
add_library(sluice_options INTERFACE)
add_library(Sluice::options ALIAS sluice_options)
# C++20 for every target (QCoro needs it in each file that includes it): targets get it by linking
# this one, not from a global CMAKE_CXX_STANDARD.
target_compile_features(sluice_options INTERFACE cxx_std_20)
target_compile_options(sluice_options INTERFACE
    $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wno-missing-field-initializers>)
target_compile_definitions(sluice_options INTERFACE
    QT_NO_KEYWORDS
    QT_NO_CAST_FROM_ASCII
    QT_NO_CAST_TO_ASCII
    QT_NO_CAST_FROM_BYTEARRAY
    QT_DISABLE_DEPRECATED_BEFORE=0x060400
    QT_NO_NARROWING_CONVERSIONS_IN_CONNECT
    QT_NO_URL_CAST_FROM_STRING
    SLUICE_VERSION="${PROJECT_VERSION}")

# Sanitizers for the whole build (scripts/test --sanitize, --tsan): a list such as
# "address;undefined" or "thread". Carried by this target, so every Sluice target gets it.
set(SLUICE_SANITIZE "" CACHE STRING "Sanitizers to build with, e.g. address;undefined or thread")
# Fuzzing (tests/fuzz): every library gets libFuzzer's coverage instrumentation, and ASan + UBSan
# unless other sanitizers were asked for.
if(SLUICE_BUILD_FUZZ)
    if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
        message(FATAL_ERROR "SLUICE_BUILD_FUZZ needs clang (libFuzzer): -DCMAKE_CXX_COMPILER=clang++")
    endif()
    if(NOT SLUICE_SANITIZE)
        set(SLUICE_SANITIZE address undefined)
    endif()
    list(APPEND SLUICE_SANITIZE fuzzer-no-link)
endif()
if(SLUICE_SANITIZE)
    list(JOIN SLUICE_SANITIZE "," sluice_sanitizers)
    target_compile_options(sluice_options INTERFACE
        -fsanitize=${sluice_sanitizers} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(sluice_options INTERFACE -fsanitize=${sluice_sanitizers})
    # clang 14's -fsanitize=function (part of "undefined") cannot compile coroutines ("Cannot
    # represent a difference across sections"); every other UBSan check stays on.
    if("undefined" IN_LIST SLUICE_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
        target_compile_options(sluice_options INTERFACE -fno-sanitize=function)
    endif()
endif()
