// Minting a batch of devices (draft messages 1 and 2; docs/factory.md): keys,
// certificates, OTPs, provisioning bundles and images, labels and sheets, a
// manifest, and the device records for the MotherShip; and, in boxes, each
// box's key, file and label (draft §5.2), which the MotherShip never sees.
//
// A batch is built in OUT.partial and renamed to OUT only once its records are
// stored, so OUT never holds devices the MotherShip does not know, and a crash
// leaves either nothing or a complete batch (or, between storing and renaming,
// a complete OUT.partial that the next run points at).
#ifndef TTE_FACTORY_MANUFACTURE_HPP
#define TTE_FACTORY_MANUFACTURE_HPP

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bundle.hpp"
#include "device_record.hpp"
#include "public_keys.hpp"
#include "tte/labels/qr.hpp"

namespace tte::factory {

struct BatchOptions {
  std::string out;
  std::uint64_t count = 0;  // with public keys: 0 or their number
  std::string urn_spec = "ops:32473-Device";
  std::uint64_t first_serial = 1;
  int serial_digits = 6;
  std::optional<DevId> first_dev_id;  // for allocated Dev IDs; default: the MotherShip's next free
  std::optional<std::string> public_keys;
  bool labels = true;
  labels::QrLevel qr_level = labels::QrLevel::Q;
  int module_px = 6;
  int threads = 0;  // 0: one per core
  bool progress = false;
  // PSK Devices (docs/protocol.md §13.3): a random 16-byte factory PSK each, no key pair.
  bool psk = false;
  // The LED frame the Devices blink while unenrolled (docs/protocol.md §13.1).
  led::FrameVersion led_frame = led::FrameVersion::v1;
  bool records_file =
      false;  // also write OUT/records.jsonl (with OTPs) for `tte-mothership import`
  // Devices per box (docs/factory.md "Boxes"), 1-10000; 0: no boxes. Each box
  // gets a random key from which its Devices' OTPs derive (docs/protocol.md §13.2).
  std::uint32_t box_size = 0;
};

// One device of the plan, before minting.
struct PlannedDevice {
  DevId dev_id;
  DevUrn urn;
  std::optional<Fingerprint> fingerprint;  // the device's own key, when it made it
};

// Decides every device's URN and Dev ID. `next_free` is the MotherShip's next
// free Dev ID (for allocated Dev IDs). Throws StartupError or UsageError (also
// when boxes are asked for and the Dev IDs are not consecutive up to ffffffff).
std::vector<PlannedDevice> plan_batch(const BatchOptions& options,
                                      const std::vector<DevicePublicKey>& public_keys,
                                      std::optional<DevId> next_free);

// Where the records go, called once the batch is built: throws StartupError
// (nothing stored) or returns a description ("the database", "the admin API").
using StoreRecords = std::function<std::string(const std::vector<mothership::FactoryRecord>&)>;

struct BatchResult {
  std::size_t count = 0;
  std::size_t boxes = 0;
  DevId first{0}, last{0};
  double seconds = 0;
  std::string stored;
};

BatchResult mint_batch(const BatchOptions& options, const MotherShipInfo& mothership,
                       const std::vector<PlannedDevice>& plan, const StoreRecords& store);

}  // namespace tte::factory

#endif  // TTE_FACTORY_MANUFACTURE_HPP
