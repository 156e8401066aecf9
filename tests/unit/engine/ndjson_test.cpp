#include "engine/ndjson.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ls::engine {
namespace {

using namespace std::string_literals;
namespace json = boost::json;

struct Decoded {
  std::vector<json::value> values;
  std::optional<Errc> error;
  std::string message;

  bool operator==(const Decoded& o) const { return values == o.values && error == o.error; }
};

std::ostream& operator<<(std::ostream& os, const Decoded& d) {
  for (const auto& v : d.values) {
    os << json::serialize(v) << "\n";
  }
  if (d.error) {
    os << "error " << errcName(*d.error) << ": " << d.message;
  }
  return os;
}

Decoded decodePieces(const std::vector<std::string_view>& pieces, std::size_t limit = 16u << 20) {
  NdjsonDecoder decoder(limit);
  Decoded d;
  for (std::string_view piece : pieces) {
    auto r = decoder.feed(piece, d.values);
    if (!r) {
      d.error = r.error().code();
      d.message = r.error().message();
      return d;
    }
  }
  auto r = decoder.finish(d.values);
  if (!r) {
    d.error = r.error().code();
    d.message = r.error().message();
  }
  return d;
}

// Feeds `input` split once at every position and byte by byte; all must match one feed.
void expectSplitInvariant(std::string_view input, std::size_t limit = 16u << 20) {
  const Decoded whole = decodePieces({input}, limit);
  for (std::size_t at = 0; at <= input.size(); ++at) {
    EXPECT_EQ(decodePieces({input.substr(0, at), input.substr(at)}, limit), whole)
        << "split at byte " << at;
  }
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < input.size(); ++i) {
    bytes.push_back(input.substr(i, 1));
  }
  EXPECT_EQ(decodePieces(bytes, limit), whole) << "byte by byte";
}

constexpr std::string_view kPull =
    R"({"status":"Pulling from library/alpine","id":"3.19"})"
    "\n"
    R"({"status":"Pulling fs layer","progressDetail":{},"id":"4abcf2066143"})"
    "\n"
    R"({"status":"Downloading","progressDetail":{"current":32768,"total":3408729},)"
    R"("progress":"[>                                                  ]  32.77kB/3.409MB",)"
    R"("id":"4abcf2066143"})"
    "\n"
    R"({"status":"Pull complete","progressDetail":{},"id":"4abcf2066143"})"
    "\n"
    R"({"status":"Digest: sha256:)"
    R"(c5b1261d6d3e43071626931fc004f70149baeba2c8ec672bd4f27761f8e1ad6b"})"
    "\n"
    R"({"status":"Status: Downloaded newer image for alpine:3.19"})"
    "\n";

TEST(NdjsonDecoderTest, AnySplitOfTheInputGivesTheSameOutput) {
  // Ensures every split point, and byte-by-byte feeding, give the values of a single feed.
  struct Case {
    const char* name;
    std::string input;
    std::size_t limit;
  };
  const std::vector<Case> cases = {
      {"pull progress", std::string(kPull), 16u << 20},
      {"crlf and blank lines", "{\"a\":1}\r\n\r\n  {\"b\":[true,false,null]}\r\n", 16u << 20},
      {"no separators", R"({"a":1}{"b":2}[3]"four")", 16u << 20},
      {"numbers and strings",
       R"({"n":-12345.678e-3,"f":0.1,"e":1E+300,"u":18446744073709551615,)"
       R"("i":-9223372036854775808,"s":"a\u00e9\ud83d\ude00\"\\\/\n b","t":"h\u00fcbsch"})",
       16u << 20},
      {"top-level scalars", "1 -2.5 true null \"s\" 30", 16u << 20},
      {"malformed after a value", "{\"ok\":1}\n{\"bad\":}\n{\"never\":2}\n", 16u << 20},
      {"partial at end", "{\"ok\":1}\n{\"status\":\"Downl", 16u << 20},
      {"oversized", "{\"ok\":1}\n{\"status\":\"this message is too long\"}\n", 24},
      {"exactly the limit", "{\"status\":\"twenty-two\"}\n{}", 23},
      {"whitespace only", " \r\n\t\n", 16u << 20},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    expectSplitInvariant(c.input, c.limit);
  }
}

TEST(NdjsonDecoderTest, SeveralObjectsInOneFeed) {
  // Ensures one feed holding several messages yields all of them, in order.
  NdjsonDecoder decoder;
  std::vector<json::value> out;
  ASSERT_TRUE(decoder.feed("{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n", out));
  ASSERT_TRUE(decoder.finish(out));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], json::parse(R"({"a":1})"));
  EXPECT_EQ(out[1], json::parse(R"({"b":2})"));
  EXPECT_EQ(out[2], json::parse(R"({"c":3})"));
}

TEST(NdjsonDecoderTest, ObjectSplitAcrossFeedsIsEmittedWhenComplete) {
  // Ensures a message is emitted by the feed that completes it, not before or after.
  NdjsonDecoder decoder;
  std::vector<json::value> out;
  ASSERT_TRUE(decoder.feed(R"({"status":"Downlo)", out));
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(decoder.feed(R"(ading","id":"x"})", out));
  ASSERT_EQ(out.size(), 1u) << "a complete object needs no trailing newline";
  EXPECT_EQ(out[0].at("status"), "Downloading");
  ASSERT_TRUE(decoder.feed("\n{", out));
  EXPECT_EQ(out.size(), 1u);
  ASSERT_TRUE(decoder.feed("}", out));
  EXPECT_EQ(out.size(), 2u);
}

TEST(NdjsonDecoderTest, CrLfSeparatorsAreWhitespace) {
  // Ensures "\r\n" between messages (as some proxies write) is accepted.
  NdjsonDecoder decoder;
  std::vector<json::value> out;
  ASSERT_TRUE(decoder.feed("{\"a\":1}\r\n", out));
  ASSERT_TRUE(decoder.feed("\r\n{\"b\":2}\r", out));
  ASSERT_TRUE(decoder.feed("\n", out));
  ASSERT_TRUE(decoder.finish(out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1], json::parse(R"({"b":2})"));
}

TEST(NdjsonDecoderTest, PullProgressMessagesAreNotErrors) {
  // Ensures a normal pull stream decodes fully and no status message is taken for an error.
  NdjsonDecoder decoder;
  std::vector<json::value> out;
  ASSERT_TRUE(decoder.feed(kPull, out));
  ASSERT_TRUE(decoder.finish(out));
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[2].at("progressDetail").at("total"), 3408729);
  EXPECT_EQ(out[2].at("id"), "4abcf2066143");
  for (const auto& v : out) {
    EXPECT_FALSE(streamError(v).has_value()) << json::serialize(v);
  }
}

TEST(NdjsonDecoderTest, ErrorDetailInsideTheStreamIsDetected) {
  // Ensures an error reported inside a 200 stream is found after the messages preceding it.
  const std::string input = std::string(kPull.substr(0, kPull.find('\n') + 1)) +
                            R"({"errorDetail":{"message":"manifest for alpine:nope not found"},)"
                            R"("error":"manifest for alpine:nope not found"})"
                            "\n";
  NdjsonDecoder decoder;
  std::vector<json::value> out;
  ASSERT_TRUE(decoder.feed(input, out));
  ASSERT_TRUE(decoder.finish(out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FALSE(streamError(out[0]));
  auto err = streamError(out[1]);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code(), Errc::Internal);
  EXPECT_EQ(err->message(), "manifest for alpine:nope not found");
}

TEST(StreamErrorTest, ClassifiesStreamMessages) {
  // Ensures the table of error and non-error message shapes maps to the right category.
  struct Case {
    const char* json;
    std::optional<Errc> code;
    const char* message;
  };
  const std::vector<Case> cases = {
      {R"({"status":"Pull complete","id":"x"})", std::nullopt, ""},
      {R"({"stream":"Step 1/2 : FROM alpine\n"})", std::nullopt, ""},
      {R"({"aux":{"ID":"sha256:abc"}})", std::nullopt, ""},
      {R"({"error":""})", std::nullopt, ""},
      {R"({"error":null})", std::nullopt, ""},
      {R"([{"error":"x"}])", std::nullopt, ""},
      {R"("error")", std::nullopt, ""},
      {R"(42)", std::nullopt, ""},
      {R"({"error":"x"})", Errc::Internal, "x"},
      {R"({"errorDetail":{"message":"denied"},"error":"ignored"})", Errc::Internal, "denied"},
      {R"({"errorDetail":{},"error":"from error"})", Errc::Internal, "from error"},
      {R"({"errorDetail":{"code":404,"message":"no such image"}})", Errc::NotFound,
       "no such image"},
      {R"({"errorDetail":{"code":401,"message":"unauthorized"}})", Errc::PermissionDenied,
       "unauthorized"},
      {R"({"errorDetail":{"code":503,"message":"busy"}})", Errc::Unavailable, "busy"},
      {R"({"errorDetail":{"code":1,"message":"returned a non-zero code: 1"}})", Errc::Internal,
       "returned a non-zero code: 1"},
      {R"({"errorDetail":{"code":"404","message":"m"}})", Errc::Internal, "m"},
      {R"({"errorDetail":{"code":409.0,"message":"m"}})", Errc::Conflict, "m"},
      {R"({"errorDetail":{}})", Errc::Internal, "engine reported an error without a message"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.json);
    auto err = streamError(json::parse(c.json));
    ASSERT_EQ(err.has_value(), c.code.has_value());
    if (err) {
      EXPECT_EQ(err->code(), *c.code);
      EXPECT_EQ(err->message(), c.message);
      ASSERT_TRUE(err->engine());
    }
  }
}

TEST(NdjsonDecoderTest, BareErrorObjectIsAnError) {
  // Ensures a bare {"error":"x"} (older engines) is detected like an errorDetail.
  NdjsonDecoder decoder;
  std::vector<json::value> out;
  ASSERT_TRUE(decoder.feed(R"({"error":"x"})", out));
  ASSERT_EQ(out.size(), 1u);
  auto err = streamError(out[0]);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code(), Errc::Internal);
  EXPECT_EQ(err->message(), "x");
}

TEST(NdjsonDecoderTest, MalformedJsonIsAnErrorAndTheDecoderStaysFailed) {
  // Ensures malformed messages give InvalidArgument naming where the message began.
  const std::vector<std::string> cases = {
      "{\"a\":}",    "{\"a\" 1}",        "}",
      "]",           "{\"a\":1,}",       "[1,2,]",
      "nul!",        "{'a':1}",          "\"bad \xff utf-8\"",
      "{\"a\":1}x",  "\"raw\ncontrol\"", "--1",
      "{\"a\":tru}",
  };
  for (const std::string& bad : cases) {
    SCOPED_TRACE(bad);
    NdjsonDecoder decoder;
    std::vector<json::value> out;
    auto r = decoder.feed("{\"first\":true}\n" + bad + "\n", out);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), Errc::InvalidArgument);
    EXPECT_EQ(r.error().message().rfind("malformed json message at byte ", 0), 0u)
        << r.error().message();
    ASSERT_GE(out.size(), 1u);
    EXPECT_EQ(out[0], json::parse(R"({"first":true})"));
    EXPECT_FALSE(decoder.feed("{}", out));
    EXPECT_FALSE(decoder.finish(out));
  }
}

TEST(NdjsonDecoderTest, MalformedMessageNamesItsStartOffset) {
  // Ensures the reported offset is the start of the bad message, whatever the split.
  for (std::size_t at = 0; at <= 20; ++at) {
    const std::string input = "{\"ok\":1}\n  [1,2,}";
    const Decoded d = decodePieces({std::string_view(input).substr(0, std::min(at, input.size())),
                                    std::string_view(input).substr(std::min(at, input.size()))});
    ASSERT_EQ(d.error, Errc::InvalidArgument);
    EXPECT_EQ(d.message.rfind("malformed json message at byte 11: ", 0), 0u) << d.message;
  }
}

TEST(NdjsonDecoderTest, OversizedMessageIsRejected) {
  // Ensures a message longer than the limit fails without buffering past the limit.
  NdjsonDecoder decoder(16);
  std::vector<json::value> out;
  ASSERT_TRUE(decoder.feed(R"({"a":"123456789")", out));  // 16 bytes: at the limit, in progress
  ASSERT_EQ(out.size(), 0u);
  auto over = decoder.feed("}", out);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code(), Errc::InvalidArgument);
  NdjsonDecoder fits(17);
  ASSERT_TRUE(fits.feed(R"({"a":"123456789"})", out));
  EXPECT_EQ(out.size(), 1u);

  NdjsonDecoder small(16);
  auto r = small.feed(R"({"a":"1234567890123"})"
                      "\n",
                      out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::InvalidArgument);
  EXPECT_EQ(r.error().message(), "json message at byte 0 exceeds the limit of 16 bytes");
  EXPECT_FALSE(small.finish(out));
}

TEST(NdjsonDecoderTest, PartialMessageAtFinishIsUnavailable) {
  // Ensures a stream cut inside a message is reported as such, and whitespace at the end is fine.
  struct Case {
    std::string input;
    bool ok;
    std::size_t values;
  };
  const std::vector<Case> cases = {
      {"", true, 0},       {"{}\n\n  \r\n", true, 1},
      {"{}\n{", false, 1}, {"{\"status\":\"Downl", false, 0},
      {"[1,2", false, 0},  {"\"abc", false, 0},
      {"tru", false, 0},   {"-", false, 0},
      {"12", true, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.input);
    const Decoded d = decodePieces({c.input});
    EXPECT_EQ(d.values.size(), c.values);
    if (c.ok) {
      EXPECT_FALSE(d.error) << d;
    } else {
      EXPECT_EQ(d.error, Errc::Unavailable);
      EXPECT_EQ(d.message, "stream ended inside a JSON message");
    }
  }
}

TEST(NdjsonDecoderTest, NumbersAndStringsSplitAtEveryPointKeepTheirValue) {
  // Ensures escapes, surrogate pairs, UTF-8 and every number form survive any split.
  const std::string input =
      R"({"n":-12345.678e-3,"f":0.30000000000000004,"e":1E+300,"m":-0.0,)"
      R"("u":18446744073709551615,"i":-9223372036854775808,"d":123456789012345678901234567890,)"
      R"("s":"a\u00e9\ud83d\ude00\"\\\/\n\t b","t":"h)"
      "\xc3\xbc"
      R"(bsch \u20ac"})";
  const json::value expected = json::parse(input);
  EXPECT_EQ(expected.at("s"), "a\xc3\xa9\xf0\x9f\x98\x80\"\\/\n\t b");
  for (std::size_t at = 0; at <= input.size(); ++at) {
    const Decoded d =
        decodePieces({std::string_view(input).substr(0, at), std::string_view(input).substr(at)});
    ASSERT_FALSE(d.error) << "split at " << at << ": " << d.message;
    ASSERT_EQ(d.values.size(), 1u);
    EXPECT_EQ(d.values[0], expected) << "split at " << at;
  }
}

TEST(NdjsonDecoderTest, LongMantissaIsExactWhateverTheSplit) {
  // Ensures values do not depend on where feeds split the input, even for a double with more
  // than 16 significant digits (Boost 1.81's resumable parser rounds those differently when a
  // boundary falls inside them; values are now parsed from the whole message, found by
  // fuzz_ndjson).
  const std::string input =
      R"({"n":-12436.2036854775808,"i":-9223372036854775808,"u":18446744073709551615})";
  const Decoded whole = decodePieces({input});
  ASSERT_EQ(whole.values.size(), 1u);
  for (std::size_t at = 0; at <= input.size(); ++at) {
    const Decoded d =
        decodePieces({std::string_view(input).substr(0, at), std::string_view(input).substr(at)});
    ASSERT_EQ(d.values.size(), 1u);
    EXPECT_EQ(d.values[0], whole.values[0]) << "split at " << at;
  }
}

TEST(NdjsonSplitterTest, ReturnsEachMessageAsItsExactBytes) {
  // Ensures the splitter hands out every message's bytes (whitespace between them dropped),
  // also for a message assembled from several feeds, and validates like the decoder.
  const std::string input = "{\"a\":1}\r\n [1, 2]\n\"s\" 42\n{\"b\":{\"c\":[true,null]}}";
  const std::vector<std::string> expected = {"{\"a\":1}", "[1, 2]", "\"s\"", "42",
                                             "{\"b\":{\"c\":[true,null]}}"};
  for (std::size_t at = 0; at <= input.size(); ++at) {
    NdjsonSplitter splitter;
    std::vector<std::string> got;
    std::vector<std::string_view> views;
    ASSERT_TRUE(splitter.feed(std::string_view(input).substr(0, at), views));
    got.assign(views.begin(), views.end());  // views live until the next feed
    views.clear();
    ASSERT_TRUE(splitter.feed(std::string_view(input).substr(at), views));
    got.insert(got.end(), views.begin(), views.end());
    views.clear();
    ASSERT_TRUE(splitter.finish(views));
    got.insert(got.end(), views.begin(), views.end());
    EXPECT_EQ(got, expected) << "split at " << at;
  }
  NdjsonSplitter bad;
  std::vector<std::string_view> views;
  auto r = bad.feed("{\"ok\":1}\n{\"a\":}", views);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message().rfind("malformed json message at byte 9: ", 0), 0u)
      << r.error().message();
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0], "{\"ok\":1}");
}

}  // namespace
}  // namespace ls::engine
