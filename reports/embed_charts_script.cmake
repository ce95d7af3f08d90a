# Writes OUTPUT, a C++ file defining ccsim::reports::kChartsScript as the text of SCRIPT, so the
# ccsim binary carries its chart renderer wherever it is copied.
file(READ ${SCRIPT} text)
string(FIND "${text}" ")ccsim_charts\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${SCRIPT} contains the raw string's delimiter")
endif()
file(WRITE ${OUTPUT}.new "// Generated from reports/charts.py by reports/embed_charts_script.cmake.\n"
     "#include \"reports/charts.h\"\n\nnamespace ccsim::reports {\n\n"
     "const char* const kChartsScript = R\"ccsim_charts(${text})ccsim_charts\";\n\n"
     "}  // namespace ccsim::reports\n")
file(COPY_FILE ${OUTPUT}.new ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.new)
