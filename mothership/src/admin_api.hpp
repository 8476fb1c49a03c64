// The manufacturer's admin API (message 2, docs/protocol.md section 7): on its
// own listener, behind its own bearer token, never on the public one.
//
//   POST /admin/v1/devices                 device records as JSON lines: all or none
//   GET  /admin/v1/devices/{devid}         one device, with what only the manufacturer sees
//   POST /admin/v1/devices/{devid}/revoke  revoke
//   POST /admin/v1/devices/{devid}/unrevoke
//   GET  /admin/v1/audit?after=N&limit=M   audit entries as JSON lines
//   GET  /admin/v1/mothership              what the factory needs: MS ID, host, DTLS fingerprint,
//                                          where devices reach CoAPS, the next free Dev ID
#ifndef TTE_MOTHERSHIP_ADMIN_API_HPP
#define TTE_MOTHERSHIP_ADMIN_API_HPP

#include <string>

#include "read_pool.hpp"
#include "tte/platform/http.hpp"
#include "tte/platform/http_server.hpp"
#include "writer.hpp"

namespace tte::mothership {

// The admin view of a device: the state object plus revocation, the mapped
// Controller, the description and the throttling state.
std::string admin_device_json(const DeviceRecord& device, const ThrottleState& throttle,
                              const GuessPolicy& policy, std::int64_t now);

// What the MotherShip tells its factory about itself.
struct MotherShipIdentity {
  MsId ms_id;
  Fingerprint dtls_fingerprint;
  std::string coaps_public;  // "ADDR:PORT" devices use
};

class AdminApi {
 public:
  AdminApi(std::string token, MotherShipIdentity identity, ReadPool& reads, Writer& writer,
           Clock clock, GuessPolicy guess_policy = {});

  void handle(const http::Request& request, http::Respond respond);
  // From a request's headers: 401 without the token (its body is never read);
  // up to 64 MiB for device records, 8 KiB for anything else.
  http::Admission admit(const http::Request& head) const;

  static constexpr std::size_t kRecordsBodyLimit = 64 * 1024 * 1024;
  static constexpr std::size_t kOtherBodyLimit = 8 * 1024;

 private:
  http::Response unauthorized() const;
  void add_devices(const http::Request& request, http::Respond respond);
  void show_device(DevId dev_id, http::Respond respond);
  void revoke(DevId dev_id, bool revoke, http::Respond respond);
  void audit(const http::Request& request, http::Respond respond);
  void identity(http::Respond respond);

  std::string token_;
  MotherShipIdentity identity_;
  ReadPool& reads_;
  Writer& writer_;
  Clock clock_;
  GuessPolicy guess_policy_;
};

}  // namespace tte::mothership

#endif  // TTE_MOTHERSHIP_ADMIN_API_HPP
