// Counts a YAML text's documents with yaml-cpp's event parser, stopping where its parser stops
// reading: in yaml-cpp 0.7 (Debian 12's), a document whose root begins with a token no node
// starts with (",", alone or after a tag or an anchor) is reported as a null document without
// the token being consumed, so HandleNextDocument answers "one more" for ever, and LoadAll
// appends a null node each time until memory runs out (yaml-cpp issue #1040, fixed upstream
// by PR #1319, after 0.8). A config file of "," hung the switch at start-up that way.
#include "yaml_documents.h"

#include <sstream>

#include <yaml-cpp/anchor.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

namespace dsw::config_detail {

namespace {

// Remembers where the last document started; the nodes themselves are not needed.
class DocumentStarts : public YAML::EventHandler {
public:
    YAML::Mark start;
    void OnDocumentStart(const YAML::Mark &mark) override { start = mark; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark &, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark &, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark &, const std::string &, YAML::anchor_t, const std::string &) override {}
    void OnSequenceStart(const YAML::Mark &, const std::string &, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark &, const std::string &, YAML::anchor_t, YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
};

}  // namespace

size_t count_yaml_documents(const std::string &text, size_t most) {
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentStarts starts;
    size_t n = 0;
    YAML::Mark last;
    // One document past `most` is read too: "!tag ," is a tag's null document and then the
    // stuck ',' (whose message says more than "more than one document").
    while (n <= most + 1 && parser.HandleNextDocument(starts)) {
        // A document begins where the one before it began only if nothing was read in between.
        if (n > 0 && starts.start.pos == last.pos) {
            const auto at = static_cast<size_t>(last.pos);
            const std::string token = at < text.size() ? std::string(1, text[at]) : std::string("end of text");
            throw YAML::ParserException(last, "unexpected '" + token + "': no YAML node starts with it");
        }
        last = starts.start;
        ++n;
    }
    return n;
}

}  // namespace dsw::config_detail
