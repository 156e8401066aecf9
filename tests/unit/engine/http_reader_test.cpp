#include "engine/http_reader.hpp"

#include <gtest/gtest.h>

namespace ls::engine {
namespace {

struct Parsed {
  int status = 0;
  std::string body;
  bool done = false;
  std::size_t consumed = 0;
};

/// Feeds `raw` split at `split` (two pieces), then EOF if `eof`.
Result<Parsed> parseSplit(std::string_view raw, std::size_t split, bool eof,
                          HttpResponseReader::Options opts = {}) {
  HttpResponseReader r(opts);
  Parsed p;
  for (std::string_view piece : {raw.substr(0, split), raw.substr(split)}) {
    if (r.done()) {
      break;
    }
    LS_ASSIGN_OR_RETURN(std::size_t n, r.feed(piece));
    p.consumed += n;
    p.body += r.takeBody();
  }
  if (eof) {
    LS_TRY(r.feedEof());
    p.body += r.takeBody();
  }
  p.status = r.headerDone() ? r.head().status : 0;
  p.done = r.done();
  return p;
}

TEST(HttpReaderTest, ContentLengthBodyAtEverySplit) {
  // Ensures a content-length response parses identically wherever the input is split.
  const std::string raw = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nApi-Version: 1.41\r\n\r\nhello";
  for (std::size_t i = 0; i <= raw.size(); ++i) {
    auto p = parseSplit(raw, i, false);
    ASSERT_TRUE(p) << i;
    EXPECT_EQ(p->status, 200);
    EXPECT_EQ(p->body, "hello") << i;
    EXPECT_TRUE(p->done);
    EXPECT_EQ(p->consumed, raw.size());
  }
}

TEST(HttpReaderTest, ChunkedBodyByteByByte) {
  // Ensures a chunked body with extensions and trailers decodes when fed one byte at a time.
  const std::string raw =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;ext=1\r\nabc\r\n1\r\nd\r\n0\r\nX-Trailer: y\r\n\r\n";
  HttpResponseReader r;
  std::string body;
  for (char c : raw) {
    auto n = r.feed(std::string_view(&c, 1));
    ASSERT_TRUE(n);
    body += r.takeBody();
  }
  EXPECT_TRUE(r.done());
  EXPECT_TRUE(r.head().chunked);
  EXPECT_EQ(body, "abcd");
}

TEST(HttpReaderTest, EofDelimitedBody) {
  // Ensures a body without length or chunking ends cleanly at EOF.
  auto p = parseSplit("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nrest of it", 20, true);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->body, "rest of it");
  EXPECT_TRUE(p->done);
}

TEST(HttpReaderTest, HeadResponseHasNoBody) {
  // Ensures a HEAD answer with Content-Length completes without waiting for a body.
  HttpResponseReader r(HttpResponseReader::Options{.headRequest = true});
  auto n = r.feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nApi-Version: 1.41\r\n\r\n");
  ASSERT_TRUE(n);
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.head().header("api-version"), "1.41");
}

TEST(HttpReaderTest, LeavesBytesOfTheNextMessage) {
  // Ensures bytes after a complete response are reported as not consumed.
  HttpResponseReader r;
  const std::string first = "HTTP/1.1 204 No Content\r\n\r\n";
  auto n = r.feed(first + "HTTP/1.1 200 OK\r\n");
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, first.size());
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.head().status, 204);
}

TEST(HttpReaderTest, MalformedInputIsAnError) {
  // Ensures garbage and bad chunk sizes are InvalidArgument, never a crash.
  for (std::string raw :
       {std::string("NOT HTTP AT ALL\r\n\r\n"),
        std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
        std::string("HTTP/1.1 2000 OK\r\n\r\n")}) {
    HttpResponseReader r;
    auto n = r.feed(raw);
    ASSERT_FALSE(n) << raw;
    EXPECT_EQ(n.error().code(), Errc::InvalidArgument);
  }
}

TEST(HttpReaderTest, TruncatedResponsesAreUnavailable) {
  // Ensures EOF inside the header, a chunk or a content-length body is an Unavailable error.
  for (std::string raw :
       {std::string("HTTP/1.1 200 OK\r\nContent-Le"),
        std::string("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc"),
        std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab")}) {
    HttpResponseReader r;
    ASSERT_TRUE(r.feed(raw));
    auto e = r.feedEof();
    ASSERT_FALSE(e) << raw;
    EXPECT_EQ(e.error().code(), Errc::Unavailable);
  }
}

TEST(HttpReaderTest, BodyLimitIsEnforcedForBufferedCalls) {
  // Ensures a buffered response over its limit is refused instead of exhausting memory.
  HttpResponseReader r(HttpResponseReader::Options{.bodyLimit = 4});
  auto n = r.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789");
  EXPECT_FALSE(n);
}

}  // namespace
}  // namespace ls::engine
