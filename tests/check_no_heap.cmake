# Fails if LIBRARY references an allocation function. Usage:
#   cmake -DNM=nm -DLIBRARY=libtte_core.a -P check_no_heap.cmake
execute_process(COMMAND ${NM} -u ${LIBRARY} OUTPUT_VARIABLE undefined RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NM} failed on ${LIBRARY}")
endif()
string(REGEX MATCHALL "[^\n]*(malloc|calloc|realloc|[^a-z_]free|_Znw|_Zna|_Zdl|_Zda|__cxa_allocate_exception|__cxa_throw)[^\n]*"
       found "${undefined}")
if(found)
  message(FATAL_ERROR "${LIBRARY} allocates or throws:\n${found}")
endif()
message(STATUS "${LIBRARY}: no allocation or exception symbols")
