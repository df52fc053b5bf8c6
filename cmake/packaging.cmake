# Debian packages (issue 21): `cmake --build build --target package` makes roomd_*.deb and
# wsbridge_*.deb with CPack. Each holds its binary, its systemd unit, an example flag file
# in /etc/chat (a conffile: upgrades keep local edits) and docs/operations.md; wsbridge also
# the web page in /usr/share/chat/web (its example flags point there).
include(GNUInstallDirs)

install(TARGETS roomd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT roomd)
install(FILES deploy/systemd/roomd.service DESTINATION /lib/systemd/system COMPONENT roomd)
install(FILES deploy/flags/roomd.flags DESTINATION /etc/chat COMPONENT roomd)
install(FILES docs/operations.md DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/roomd COMPONENT roomd)

if(TARGET wsbridge)
  install(TARGETS wsbridge RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT wsbridge)
  install(FILES deploy/systemd/wsbridge.service DESTINATION /lib/systemd/system
    COMPONENT wsbridge)
  install(FILES deploy/flags/wsbridge.flags DESTINATION /etc/chat COMPONENT wsbridge)
  install(DIRECTORY web/ DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/chat/web COMPONENT wsbridge)
  install(FILES docs/operations.md DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/wsbridge
    COMPONENT wsbridge)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME chat)
set(CPACK_PACKAGE_VERSION 0.1.0)
set(CPACK_PACKAGE_CONTACT "chat maintainers <chat@example.org>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL roomd)
if(TARGET wsbridge)
  list(APPEND CPACK_COMPONENTS_ALL wsbridge)
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# Library dependencies (gRPC, protobuf, Abseil, Boost.JSON, hiredis, OpenSSL) from the
# binaries themselves.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_ROOMD_PACKAGE_NAME roomd)
set(CPACK_DEBIAN_WSBRIDGE_PACKAGE_NAME wsbridge)
set(CPACK_COMPONENT_ROOMD_DESCRIPTION
  "chat room daemon\n roomd serves chat.v1.ChatService over gRPC: rooms, presence, history.")
set(CPACK_COMPONENT_WSBRIDGE_DESCRIPTION
  "chat WebSocket bridge and web page\n wsbridge serves the chat page and bridges browser WebSockets to roomd.")
set(CPACK_DEBIAN_ROOMD_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/deploy/debian/roomd/conffiles)
set(CPACK_DEBIAN_WSBRIDGE_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/deploy/debian/wsbridge/conffiles)
include(CPack)
