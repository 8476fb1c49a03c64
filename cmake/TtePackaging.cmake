# Debian packages of the four programs (`./tte package`: cpack -G DEB in
# build/package). One package per program, each a CPack component group:
#   tte-mothership   the program; tte-mothership.service; /etc/tte/mothership.conf
#   tte-controller   the program; tte-controller.service; /etc/tte/controller.conf
#   tte-introducer   the program
#   tte-device       the simulator
# plus each program's page of docs/ as /usr/share/doc/<package>/README.md.
# The services run as their own system user (made by postinst) on
# /var/lib/<package>; docs/operations.md is the operator's guide.
# Configure with -DCMAKE_INSTALL_PREFIX=/usr so that the configuration lands
# in /etc (GNUInstallDirs maps /usr's sysconfdir to /etc).

set(tte_package_doc ${CMAKE_INSTALL_DATAROOTDIR}/doc)
set(tte_systemd_units lib/systemd/system)

# tte_package(PROGRAM DESCRIPTION DOC [SERVICE])
function(tte_package program description doc)
  cmake_parse_arguments(PARSE_ARGV 3 arg "SERVICE" "" "")
  set(package tte-${program})
  string(TOUPPER ${program} group)
  set(files ${program}_files)
  install(FILES ${PROJECT_SOURCE_DIR}/docs/${doc} DESTINATION ${tte_package_doc}/${package}
          RENAME README.md COMPONENT ${files})
  install(FILES ${PROJECT_SOURCE_DIR}/cmake/packaging/copyright
          DESTINATION ${tte_package_doc}/${package} COMPONENT ${files})
  set(CPACK_COMPONENT_${group}_GROUP ${program} PARENT_SCOPE)
  set(CPACK_COMPONENT_${group}_FILES_GROUP ${program} PARENT_SCOPE)
  set(CPACK_DEBIAN_${group}_PACKAGE_NAME ${package} PARENT_SCOPE)
  set(CPACK_DEBIAN_${group}_DESCRIPTION "${description}" PARENT_SCOPE)
  set(CPACK_COMPONENT_${group}_DESCRIPTION "${description}" PARENT_SCOPE)
  set(CPACK_DEBIAN_${group}_FILE_NAME DEB-DEFAULT PARENT_SCOPE)
  if(arg_SERVICE)
    install(FILES ${PROJECT_SOURCE_DIR}/${program}/packaging/${package}.service
            DESTINATION ${tte_systemd_units} COMPONENT ${files})
    install(FILES ${PROJECT_SOURCE_DIR}/${program}/packaging/${program}.conf
            DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/tte COMPONENT ${files})
    set(PACKAGE ${package})
    set(PROGRAM ${package})
    set(CONFIG ${program}.conf)
    string(REGEX MATCH "^[^:\n]*" DESCRIPTION "${description}")  # "TTE MotherShip": the user's name
    set(scripts ${CMAKE_BINARY_DIR}/packaging/${package})
    foreach(script postinst prerm postrm)
      configure_file(${PROJECT_SOURCE_DIR}/cmake/packaging/${script}.in ${scripts}/${script} @ONLY
                     FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                                      WORLD_READ WORLD_EXECUTE)
    endforeach()
    file(WRITE ${scripts}/conffiles "${CMAKE_INSTALL_FULL_SYSCONFDIR}/tte/${program}.conf\n")
    set(CPACK_DEBIAN_${group}_PACKAGE_CONTROL_EXTRA
        "${scripts}/postinst;${scripts}/prerm;${scripts}/postrm;${scripts}/conffiles" PARENT_SCOPE)
    set(CPACK_DEBIAN_${group}_PACKAGE_DEPENDS "adduser" PARENT_SCOPE)
  endif()
endfunction()

tte_package(mothership "TTE MotherShip: the manufacturer's enrollment server
 Transitive Trust Enrollment: installers tell the MotherShip, over HTTPS,
 which Controller a device belongs to; the device asks it over CoAP/DTLS.
 Also the factory's tooling (tte-mothership manufacture, import)." mothership.md SERVICE)
tte_package(controller "TTE Controller: the server a site's devices belong to
 Transitive Trust Enrollment: devices join it over CoAP/DTLS with their own
 keys; installers announce them over HTTP(S); an API, a dashboard and
 bindings control them." controller.md SERVICE)
tte_package(introducer "TTE Introducer: the installer's command line
 Transitive Trust Enrollment: reads a device's label (photo, URL or code)
 and tells the device's MotherShip which Controller it belongs to." introducer.md)
tte_package(device "TTE simulated devices
 Transitive Trust Enrollment: the devices' firmware core on Linux, for test
 beds and demos: enrolls, joins its Controller and serves its resources." device.md)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tte)
set(CPACK_PACKAGE_VENDOR "TTE")
set(CPACK_PACKAGE_CONTACT "TTE developers <tte-dev@example.org>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ONE_PER_GROUP)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_OUTPUT_FILE_PREFIX ${CMAKE_BINARY_DIR}/packages)
include(CPack)
