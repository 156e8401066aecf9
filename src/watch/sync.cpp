#include "watch/sync.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "archive/tar_writer.hpp"

namespace ls::watch::detail {

namespace {

using ls::archive::TarEntryType;
using ls::archive::TarHeader;
using ls::archive::TarWriter;

std::string entryName(const std::string& target) {
  std::size_t i = 0;
  while (i < target.size() && target[i] == '/') {
    ++i;
  }
  return target.substr(i);
}

}  // namespace

Result<SyncTar> tarOfCopies(const std::vector<SyncCopy>& copies) {
  SyncTar out;
  TarWriter tar(out.bytes);
  for (const SyncCopy& c : copies) {
    const std::string name = entryName(c.target);
    if (name.empty()) {
      continue;  // the container's root itself
    }
    struct stat st {};
    if (::lstat(c.source.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) {
        continue;
      }
      return Error(Errc::Internal,
                   "cannot read " + c.source.string() + ": " + std::strerror(errno));
    }
    TarHeader h;
    h.name = name;
    h.mode = st.st_mode & 07777;
    h.mtime = st.st_mtime;
    if (S_ISDIR(st.st_mode)) {
      h.type = TarEntryType::Directory;
      LS_TRY(tar.addEntry(h));
    } else if (S_ISLNK(st.st_mode)) {
      std::string link(static_cast<std::size_t>(st.st_size) + 1, '\0');
      const ssize_t n = ::readlink(c.source.c_str(), link.data(), link.size());
      if (n < 0) {
        continue;
      }
      link.resize(static_cast<std::size_t>(n));
      h.type = TarEntryType::Symlink;
      h.linkTarget = link;
      LS_TRY(tar.addEntry(h));
    } else if (S_ISREG(st.st_mode)) {
      std::ifstream in(c.source, std::ios::binary);
      if (!in) {
        continue;  // removed between lstat and open
      }
      std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      h.size = data.size();
      LS_TRY(tar.addEntry(h, data));
    } else {
      continue;  // sockets, fifos, devices: nothing to copy
    }
    ++out.entries;
  }
  LS_TRY(tar.finish());
  return out;
}

std::vector<std::string> deleteCommand(const std::vector<std::string>& paths) {
  if (paths.empty()) {
    return {};
  }
  std::vector<std::string> cmd{"rm", "-rf", "--"};
  cmd.insert(cmd.end(), paths.begin(), paths.end());
  return cmd;
}

}  // namespace ls::watch::detail
