# Every public header must compile on its own, as C and, where a C++ compiler is there, as C++:
# one object library per language, one source per header. Included from the top CMakeLists.txt.
file(GLOB XIPC_PUBLIC_HEADERS RELATIVE ${PROJECT_SOURCE_DIR}/include
  ${PROJECT_SOURCE_DIR}/include/xipc/*.h)
list(APPEND XIPC_PUBLIC_HEADERS xipc/version.h xipc.h)
include(CheckLanguage)
if(NOT CMAKE_CROSSCOMPILING OR CMAKE_CXX_COMPILER)
  check_language(CXX) # a cross build checks only the C++ compiler its toolchain file names
endif()
if(CMAKE_CXX_COMPILER)
  enable_language(CXX)
  set(XIPC_HEADER_LANGUAGES c cpp)
else()
  message(STATUS "xipc: no C++ compiler, public headers are checked as C only")
  set(XIPC_HEADER_LANGUAGES c)
endif()
foreach(ext ${XIPC_HEADER_LANGUAGES})
  set(checks)
  foreach(header ${XIPC_PUBLIC_HEADERS})
    string(MAKE_C_IDENTIFIER ${header} id)
    set(src ${PROJECT_BINARY_DIR}/header_check/${id}.${ext})
    file(WRITE ${src}.in "#include \"${header}\"\nint xipc_header_check_${id}(void);\n"
      "int xipc_header_check_${id}(void) { return 0; }\n")
    configure_file(${src}.in ${src} COPYONLY)
    list(APPEND checks ${src})
  endforeach()
  add_library(xipc_header_check_${ext} OBJECT ${checks})
  target_include_directories(xipc_header_check_${ext} PRIVATE
    ${PROJECT_SOURCE_DIR}/include ${XIPC_GENERATED_INCLUDE})
endforeach()
xipc_warnings(xipc_header_check_c)
if(TARGET xipc_header_check_cpp)
  set_target_properties(xipc_header_check_cpp PROPERTIES CXX_STANDARD 11 CXX_STANDARD_REQUIRED ON
    CXX_EXTENSIONS OFF)
  xipc_warnings(xipc_header_check_cpp)
endif()
