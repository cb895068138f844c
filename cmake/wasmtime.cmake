# Wasmtime's C API as a static library, built by cargo from the pinned crate
# in third_party/wasmtime. The cargo target dir lives outside the build tree
# (SKIFF_WASMTIME_CACHE) so that new build dirs, ASan trees and fresh
# checkouts on the same machine reuse the compiled engine.
#
# Defines skiff_wasmtime (headers, after the cargo build) and
# SKIFF_WASMTIME_LIBRARIES (what to link).

find_program(SKIFF_CARGO cargo HINTS $ENV{HOME}/.cargo/bin $ENV{CARGO_HOME}/bin)
if(NOT SKIFF_CARGO)
  message(FATAL_ERROR "SKIFF_WASM is ON but cargo was not found (tools/setup installs it); "
    "configure with -DSKIFF_WASM=OFF to build without WebAssembly")
endif()

if(NOT SKIFF_WASMTIME_CACHE)
  set(default_cache /var/cache/skiff-wasmtime)
  execute_process(COMMAND mkdir -p ${default_cache} RESULT_VARIABLE not_writable OUTPUT_QUIET ERROR_QUIET)
  if(not_writable)
    set(default_cache $ENV{HOME}/.cache/skiff-wasmtime)
  endif()
  set(SKIFF_WASMTIME_CACHE ${default_cache} CACHE PATH "Where cargo builds Wasmtime (kept between builds)")
endif()

set(wasmtime_crate ${CMAKE_SOURCE_DIR}/third_party/wasmtime)
set(wasmtime_lib ${SKIFF_WASMTIME_CACHE}/target/release/libwasmtime.a)
# One header directory per Cargo.toml (its feature set): the headers are
# copied by our build script, which cargo does not run again when it switches
# back to a feature set it has built before (another checkout sharing the
# cache), so a single directory could keep another feature set's conf.h.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/third_party/wasmtime/Cargo.toml)
file(SHA256 ${CMAKE_SOURCE_DIR}/third_party/wasmtime/Cargo.toml cargo_toml_digest)
string(SUBSTRING ${cargo_toml_digest} 0 12 cargo_toml_digest)
set(wasmtime_include ${SKIFF_WASMTIME_CACHE}/include-${cargo_toml_digest})
# nice + two jobs: the engine is a long build on shared 2-core machines.
add_custom_command(
  OUTPUT ${wasmtime_lib} ${wasmtime_include}/wasmtime.hh
  COMMAND ${CMAKE_COMMAND} -E env CARGO_TARGET_DIR=${SKIFF_WASMTIME_CACHE}/target
    SKIFF_WASMTIME_INCLUDE=${wasmtime_include} CARGO_BUILD_JOBS=2
    nice -n 10 ${SKIFF_CARGO} build --release --locked --quiet
  COMMAND ${CMAKE_COMMAND} -E touch ${wasmtime_lib} ${wasmtime_include}/wasmtime.hh
  WORKING_DIRECTORY ${wasmtime_crate}
  DEPENDS ${wasmtime_crate}/Cargo.toml ${wasmtime_crate}/Cargo.lock ${wasmtime_crate}/build.rs
    ${wasmtime_crate}/src/lib.rs ${wasmtime_crate}/.cargo/config.toml
  COMMENT "cargo: building Wasmtime's C API (cold: many minutes; cached in ${SKIFF_WASMTIME_CACHE})")
add_custom_target(wasmtime_build DEPENDS ${wasmtime_lib} ${wasmtime_include}/wasmtime.hh)

find_package(Threads REQUIRED)
file(MAKE_DIRECTORY ${wasmtime_include})
# Headers (and the build order) for the one source that includes them.
add_library(skiff_wasmtime INTERFACE)
target_include_directories(skiff_wasmtime SYSTEM INTERFACE ${wasmtime_include})
add_dependencies(skiff_wasmtime wasmtime_build)
# What a binary linking the engine needs.
set(SKIFF_WASMTIME_LIBRARIES ${wasmtime_lib} Threads::Threads ${CMAKE_DL_LIBS} m)
