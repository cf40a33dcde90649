# Writes a C++ source holding a file's bytes as an array, so weftd carries its BPF objects without
# the libbpf skeleton (whose inline helpers would pull libbpf into every binary that links the
# data plane). Usage: cmake -DINPUT=x.bpf.o -DOUTPUT=x.cc -DSYMBOL=name -P embed_bytes.cmake
file(READ ${INPUT} hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE ${OUTPUT}
  "// Generated from ${INPUT} by cmake/embed_bytes.cmake; do not edit.\n"
  "#include <cstddef>\n"
  "namespace weft::dataplane::embedded {\n"
  "extern const unsigned char ${SYMBOL}[];\n"
  "extern const std::size_t ${SYMBOL}_size;\n"
  "alignas(8) const unsigned char ${SYMBOL}[] = {\n${bytes}};\n"
  "const std::size_t ${SYMBOL}_size = ${size};\n"
  "}  // namespace weft::dataplane::embedded\n")
