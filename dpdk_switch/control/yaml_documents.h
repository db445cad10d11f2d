// Private to the config loader (config.cc): how many documents a YAML text holds, read without
// YAML::LoadAll, which never returns on some malformed texts (yaml_documents.cc says which).
#pragma once

#include <cstddef>
#include <string>

namespace dsw::config_detail {

// The documents of `text`, counting no further than `most` + 2. Throws YAML::Exception (with
// the mark of the trouble) for malformed text, as YAML::LoadAll does.
size_t count_yaml_documents(const std::string &text, size_t most);

}  // namespace dsw::config_detail
