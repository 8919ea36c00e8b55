# Cross-compiling AArch64 guest test programs (tests/guest) with Debian's gcc-aarch64-linux-gnu.
#
# The programs are built with add_custom_command rather than as CMake targets, because the
# project has a single (host) toolchain: this way a machine without the cross compiler still
# builds everything else, and the guest tests report themselves as skipped with the reason.
find_program(XVM_AARCH64_CC aarch64-linux-gnu-gcc)
find_program(XVM_QEMU_AARCH64 qemu-aarch64)

# Exit code by which tests/guest/run_guest_test.sh says "skipped" (the automake convention);
# mapped to CTest's "Not Run" through the SKIP_RETURN_CODE test property.
set(XVM_GUEST_SKIP_CODE 77)

# Flags for every build of a guest program, AArch64 and native alike:
# -ffp-contract=off: gcc would otherwise fuse a*b+c into FMADD on AArch64 (not on baseline
#   x86-64), and the two ISAs would print different floating-point results.
set(XVM_GUEST_COMMON_FLAGS -std=gnu11 -Wall -Wextra -ffp-contract=off)
if(XVM_WERROR)
  list(APPEND XVM_GUEST_COMMON_FLAGS -Werror)
endif()

# xvm_add_guest_program(NAME
#     [AARCH64_ONLY]                 uses AArch64 intrinsics: qemu-aarch64 is the only reference
#     [AARCH64_FLAGS flags...]       e.g. -march=armv8-a+crypto
#     [FLAGS flags...]               for every build, e.g. -frounding-math
#     [LIBS libs...])                e.g. -lm
# Builds NAME.c (in the current source dir) statically for AArch64 at -O2 and -O3 and, unless
# AARCH64_ONLY, natively at -O2, and registers the CTest tests guest.NAME.O2 / guest.NAME.O3.
function(xvm_add_guest_program name)
  cmake_parse_arguments(PARSE_ARGV 1 G "AARCH64_ONLY" "" "AARCH64_FLAGS;FLAGS;LIBS")
  set(src ${CMAKE_CURRENT_SOURCE_DIR}/${name}.c)
  set(deps ${src} ${CMAKE_CURRENT_SOURCE_DIR}/guest_check.h)
  set(dir ${CMAKE_CURRENT_BINARY_DIR})
  set(runner ${CMAKE_CURRENT_SOURCE_DIR}/run_guest_test.sh)
  set(launcher)
  if(CCACHE_PROGRAM)
    set(launcher ${CCACHE_PROGRAM})
  endif()

  set(native -)
  if(NOT G_AARCH64_ONLY)
    set(native ${dir}/${name}.x86_64)
    add_custom_command(OUTPUT ${native}
      COMMAND ${launcher} ${CMAKE_C_COMPILER} -O2 ${XVM_GUEST_COMMON_FLAGS} ${G_FLAGS}
              -MD -MF ${native}.d -o ${native} ${src} ${G_LIBS}
      DEPENDS ${deps} DEPFILE ${native}.d
      COMMENT "Building guest program ${name} natively (x86-64 reference)" VERBATIM)
    set_property(GLOBAL APPEND PROPERTY XVM_GUEST_OUTPUTS ${native})
  endif()

  foreach(opt O2 O3)
    set(test guest.${name}.${opt})
    if(NOT XVM_AARCH64_CC)
      add_test(NAME ${test} COMMAND sh ${runner} --skip
               "aarch64-linux-gnu-gcc not found at configure time (Debian: gcc-aarch64-linux-gnu)")
    else()
      set(bin ${dir}/${name}.${opt}.aarch64)
      add_custom_command(OUTPUT ${bin}
        COMMAND ${launcher} ${XVM_AARCH64_CC} -static -${opt} ${XVM_GUEST_COMMON_FLAGS} ${G_FLAGS}
                ${G_AARCH64_FLAGS} -MD -MF ${bin}.d -o ${bin} ${src} ${G_LIBS}
        DEPENDS ${deps} DEPFILE ${bin}.d
        COMMENT "Cross-compiling guest program ${name} for AArch64 (-${opt})" VERBATIM)
      set_property(GLOBAL APPEND PROPERTY XVM_GUEST_OUTPUTS ${bin})
      add_test(NAME ${test} COMMAND sh ${runner} ${XVM_QEMU_AARCH64} $<TARGET_FILE:xvm>
               ${bin} ${native})
    endif()
    # Generous timeout: the interpreter is much slower than qemu's JIT.
    set_tests_properties(${test} PROPERTIES LABELS guest TIMEOUT 180
                         SKIP_RETURN_CODE ${XVM_GUEST_SKIP_CODE})
  endforeach()
endfunction()

# Call after the last xvm_add_guest_program: one target builds every guest binary.
function(xvm_add_guest_programs_target)
  get_property(outputs GLOBAL PROPERTY XVM_GUEST_OUTPUTS)
  add_custom_target(guest-programs ALL DEPENDS ${outputs})
endfunction()
