# Helpers shared by every TTE target.

# Warnings for TTE's own code (not for third-party headers).
function(tte_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow
                                           $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor>
                                           -Wimplicit-fallthrough -Wno-missing-field-initializers)
  if(TTE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# tte_add_test(NAME SOURCES a_test.cpp ... DEPS lib ... [LABEL unit|integration] [PREFIX p.])
# One GoogleTest executable next to the code it tests; each test case becomes a ctest test
# (named PREFIX Suite.Case).
function(tte_add_test name)
  if(NOT TTE_BUILD_TESTS OR TTE_FIRMWARE)
    return()
  endif()
  cmake_parse_arguments(ARG "" "LABEL;PREFIX" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_LABEL)
    set(ARG_LABEL unit)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE TTE_PROTO_DIR="${TTE_PROTO_DIR}"
                                             TTE_DOCS_DIR="${TTE_DOCS_DIR}")
  tte_warnings(${name})
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 TEST_PREFIX "${ARG_PREFIX}"
                       PROPERTIES LABELS ${ARG_LABEL} TIMEOUT 600)
endfunction()

# tte_add_fuzzer(NAME SOURCES x_fuzz.cpp DEPS lib ...): a libFuzzer target (TTE_FUZZ builds only).
function(tte_add_fuzzer name)
  if(NOT TTE_FUZZ)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/common/fuzz)
  set_property(GLOBAL APPEND PROPERTY TTE_FUZZERS ${name})
endfunction()
