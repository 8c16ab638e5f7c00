# Runs cnnc on golden/CASE.cnn in DIR and compares its output and exit status
# with CASE.expected. -DUPDATE=1 rewrites the expectation instead.
file(STRINGS ${DIR}/${CASE}.cnn first LIMIT_COUNT 1)
set(args check)
if(first MATCHES "^# cnnc: (.*)$")
  separate_arguments(args UNIX_COMMAND "${CMAKE_MATCH_1}")
endif()
get_filename_component(sub ${CASE} DIRECTORY)
get_filename_component(base ${CASE} NAME)
execute_process(COMMAND ${CNNC} ${args} ${base}.cnn
                WORKING_DIRECTORY ${DIR}/${sub}
                OUTPUT_VARIABLE out ERROR_VARIABLE out RESULT_VARIABLE rc)
set(actual "${out}[exit ${rc}]\n")
if(UPDATE)
  file(WRITE ${DIR}/${CASE}.expected "${actual}")
  return()
endif()
file(READ ${DIR}/${CASE}.expected expected)
if(NOT actual STREQUAL expected)
  message(FATAL_ERROR "output differs from ${CASE}.expected\n--- expected\n${expected}--- actual\n${actual}")
endif()
