# Fails if a C/C++ source differs from what the repo's .clang-format makes of it.
#   cmake -DCLANG_FORMAT=clang-format -DROOT=<repo> -P check_format.cmake
file(GLOB_RECURSE sources RELATIVE ${ROOT}
     ${ROOT}/common/*.cpp ${ROOT}/common/*.hpp ${ROOT}/mothership/*.cpp ${ROOT}/mothership/*.hpp
     ${ROOT}/controller/*.cpp ${ROOT}/controller/*.hpp ${ROOT}/introducer/*.cpp
     ${ROOT}/introducer/*.hpp ${ROOT}/device-fw/*.cpp ${ROOT}/device-fw/*.hpp ${ROOT}/device-fw/*.c
     ${ROOT}/device-fw/*.h ${ROOT}/tests/*.cpp ${ROOT}/tests/*.hpp)
execute_process(COMMAND ${CLANG_FORMAT} --dry-run -Werror ${sources}
                WORKING_DIRECTORY ${ROOT} RESULT_VARIABLE rc ERROR_VARIABLE diagnostics)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "not formatted (run ./tte format):\n${diagnostics}")
endif()
list(LENGTH sources count)
message(STATUS "${count} files formatted")
