# Writes OUTPUT, a C++ file defining NAMESPACE::SYMBOL (declared in HEADER) as the text of INPUT,
# so the binary carries the file wherever it is copied. Run by ccsim_embed_text (CMakeLists.txt).
file(READ ${INPUT} text)
string(FIND "${text}" ")ccsim_embedded\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string's delimiter )ccsim_embedded\"")
endif()
file(WRITE ${OUTPUT}.new "// Generated from ${INPUT} by cmake/embed_text.cmake.\n"
     "#include \"${HEADER}\"\n\nnamespace ${NAMESPACE} {\n\n"
     "const char* const ${SYMBOL} = R\"ccsim_embedded(${text})ccsim_embedded\";\n\n"
     "}  // namespace ${NAMESPACE}\n")
file(COPY_FILE ${OUTPUT}.new ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.new)
