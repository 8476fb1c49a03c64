// `tte-mothership manufacture`: the command line over the factory library.
#ifndef TTE_MOTHERSHIP_MANUFACTURE_COMMAND_HPP
#define TTE_MOTHERSHIP_MANUFACTURE_COMMAND_HPP

#include <string>
#include <vector>

namespace tte::mothership {

int run_manufacture(const std::vector<std::string>& args);

}  // namespace tte::mothership

#endif  // TTE_MOTHERSHIP_MANUFACTURE_COMMAND_HPP
