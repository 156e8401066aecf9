#include "engine/timestamp.hpp"

#include <cstdint>

namespace ls::engine {

namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
constexpr std::int64_t kSecondsPerDay = 86'400;
constexpr std::size_t kQuotedLimit = 64;

// The text for an error message: bounded, and without control bytes.
std::string quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text.substr(0, kQuotedLimit)) {
    const auto b = static_cast<unsigned char>(c);
    out += (b < 0x20 || b == 0x7f) ? '?' : c;
  }
  if (text.size() > kQuotedLimit) {
    out += "...";
  }
  out += '\'';
  return out;
}

Error invalid(std::string_view text, std::string_view why) {
  return Error(Errc::InvalidArgument,
               "invalid rfc 3339 timestamp " + quoted(text) + ": " + std::string(why));
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `n` digits at `pos`.
bool readDigits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) {
    return false;
  }
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!isDigit(s[i])) {
      return false;
    }
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

std::int64_t floorDiv(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

char* writeDigits(char* p, std::uint32_t v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + width;
}

}  // namespace

Result<Timestamp> parseRfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fffffffff](Z|+HH:MM|-HH:MM)
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!readDigits(text, 0, 4, year) || text.size() < 5 || text[4] != '-' ||
      !readDigits(text, 5, 2, month) || text.size() < 8 || text[7] != '-' ||
      !readDigits(text, 8, 2, day)) {
    return invalid(text, "expected a date as YYYY-MM-DD");
  }
  // RFC 3339 §5.6 allows a lowercase 't' and 'z'.
  if (text.size() < 11 || (text[10] != 'T' && text[10] != 't')) {
    return invalid(text, "expected 'T' after the date");
  }
  if (!readDigits(text, 11, 2, hour) || text.size() < 14 || text[13] != ':' ||
      !readDigits(text, 14, 2, minute) || text.size() < 17 || text[16] != ':' ||
      !readDigits(text, 17, 2, second)) {
    return invalid(text, "expected a time as HH:MM:SS");
  }
  std::size_t pos = 19;

  std::int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t first = pos;
    while (pos < text.size() && isDigit(text[pos])) {
      ++pos;
    }
    const std::size_t digits = pos - first;
    if (digits == 0) {
      return invalid(text, "expected digits after '.'");
    }
    if (digits > 9) {
      return invalid(text, "more than 9 fraction digits");
    }
    for (std::size_t i = first; i < first + 9; ++i) {
      nanos = nanos * 10 + (i < pos ? text[i] - '0' : 0);
    }
  }

  int offsetSeconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    int offsetHours = 0;
    int offsetMinutes = 0;
    if (!readDigits(text, pos + 1, 2, offsetHours) || pos + 3 >= text.size() ||
        text[pos + 3] != ':' || !readDigits(text, pos + 4, 2, offsetMinutes)) {
      return invalid(text, "expected an offset as +HH:MM or -HH:MM");
    }
    if (offsetHours > 23 || offsetMinutes > 59) {
      return invalid(text, "offset out of range");
    }
    offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60);
    pos += 6;
  } else {
    return invalid(text, "expected 'Z' or an offset");
  }
  if (pos != text.size()) {
    return invalid(text, "trailing characters");
  }

  const std::chrono::year_month_day date{std::chrono::year{year},
                                         std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) {
    return invalid(text, "no such date");
  }
  // NOTE: a leap second (60) cannot be represented by sys_time and Go rejects it too.
  if (hour > 23 || minute > 59 || second > 59) {
    return invalid(text, "time of day out of range");
  }

  const std::int64_t dayCount = std::chrono::sys_days{date}.time_since_epoch().count();
  const std::int64_t secondCount =
      dayCount * kSecondsPerDay + hour * 3600 + minute * 60 + second - offsetSeconds;
  // Borrow a second for negative instants so that the product stays in range at the very
  // bottom of it (1677-09-21T00:12:43.145224192Z is Timestamp::min()).
  const bool borrow = secondCount < 0 && nanos > 0;
  std::int64_t total = 0;
  if (__builtin_mul_overflow(secondCount + (borrow ? 1 : 0), kNanosPerSecond, &total) ||
      __builtin_add_overflow(total, borrow ? nanos - kNanosPerSecond : nanos, &total)) {
    return invalid(text, "outside the representable range (years 1677 to 2262)");
  }
  return Timestamp{std::chrono::nanoseconds{total}};
}

std::string formatRfc3339Nano(Timestamp t) {
  // Integer arithmetic instead of floor<days>(t): converting the day back to nanoseconds
  // overflows near Timestamp::min().
  const std::int64_t ns = t.time_since_epoch().count();
  const std::int64_t secondCount = floorDiv(ns, kNanosPerSecond);
  const auto fraction = static_cast<std::uint32_t>(ns - secondCount * kNanosPerSecond);
  const std::int64_t dayCount = floorDiv(secondCount, kSecondsPerDay);
  const auto secondOfDay = static_cast<std::uint32_t>(secondCount - dayCount * kSecondsPerDay);
  const std::chrono::year_month_day date{
      std::chrono::sys_days{std::chrono::days{static_cast<int>(dayCount)}}};

  char buf[32];
  char* p = buf;
  p = writeDigits(p, static_cast<std::uint32_t>(static_cast<int>(date.year())), 4);
  *p++ = '-';
  p = writeDigits(p, static_cast<unsigned>(date.month()), 2);
  *p++ = '-';
  p = writeDigits(p, static_cast<unsigned>(date.day()), 2);
  *p++ = 'T';
  p = writeDigits(p, secondOfDay / 3600, 2);
  *p++ = ':';
  p = writeDigits(p, secondOfDay / 60 % 60, 2);
  *p++ = ':';
  p = writeDigits(p, secondOfDay % 60, 2);
  *p++ = '.';
  p = writeDigits(p, fraction, 9);
  *p++ = 'Z';
  return std::string(buf, p);
}

Result<std::pair<Timestamp, std::string_view>> splitTimestampedLine(std::string_view line) {
  const auto space = line.find(' ');
  if (space == std::string_view::npos) {
    return Error(Errc::InvalidArgument, "log line " + quoted(line) + " has no timestamp prefix");
  }
  LS_ASSIGN_OR_RETURN(const Timestamp ts, parseRfc3339(line.substr(0, space)));
  return std::pair{ts, line.substr(space + 1)};
}

}  // namespace ls::engine
