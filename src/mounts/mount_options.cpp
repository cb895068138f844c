#include "mounts/mount_options.hpp"

#include <sys/mount.h>

#include <array>

namespace skiff::mounts {
namespace {

enum class AttrOp { Set, Clear, Atime, AtimeReset };

struct AttrWord {
  std::string_view word;
  AttrOp op;
  uint64_t bits;
};

// Per-mount attributes; their "r" prefixed forms are the recursive variants.
constexpr std::array kAttrWords = {
    AttrWord{"ro", AttrOp::Set, MOUNT_ATTR_RDONLY},
    AttrWord{"rw", AttrOp::Clear, MOUNT_ATTR_RDONLY},
    AttrWord{"nosuid", AttrOp::Set, MOUNT_ATTR_NOSUID},
    AttrWord{"suid", AttrOp::Clear, MOUNT_ATTR_NOSUID},
    AttrWord{"nodev", AttrOp::Set, MOUNT_ATTR_NODEV},
    AttrWord{"dev", AttrOp::Clear, MOUNT_ATTR_NODEV},
    AttrWord{"noexec", AttrOp::Set, MOUNT_ATTR_NOEXEC},
    AttrWord{"exec", AttrOp::Clear, MOUNT_ATTR_NOEXEC},
    AttrWord{"nodiratime", AttrOp::Set, MOUNT_ATTR_NODIRATIME},
    AttrWord{"diratime", AttrOp::Clear, MOUNT_ATTR_NODIRATIME},
    AttrWord{"nosymfollow", AttrOp::Set, MOUNT_ATTR_NOSYMFOLLOW},
    AttrWord{"symfollow", AttrOp::Clear, MOUNT_ATTR_NOSYMFOLLOW},
    AttrWord{"noatime", AttrOp::Atime, MOUNT_ATTR_NOATIME},
    AttrWord{"relatime", AttrOp::Atime, MOUNT_ATTR_RELATIME},
    AttrWord{"strictatime", AttrOp::Atime, MOUNT_ATTR_STRICTATIME},
    // The negations undo an earlier atime word (mount(2) semantics: the
    // kernel default, relatime, then applies to new filesystems).
    AttrWord{"atime", AttrOp::AtimeReset, MOUNT_ATTR_NOATIME},
    AttrWord{"norelatime", AttrOp::AtimeReset, MOUNT_ATTR_RELATIME},
    AttrWord{"nostrictatime", AttrOp::AtimeReset, MOUNT_ATTR_STRICTATIME},
};

// Superblock flags, understood by fsconfig for every filesystem.
constexpr std::array<std::string_view, 7> kSbFlags = {"sync",   "async",    "dirsync",   "mand",
                                                      "nomand", "lazytime", "nolazytime"};

// Words runc accepts that have no effect with the new mount API.
constexpr std::array<std::string_view, 5> kIgnored = {"defaults", "loud", "silent", "iversion",
                                                      "noiversion"};

struct PropagationWord {
  std::string_view word;
  unsigned long flags;
};

constexpr std::array kPropagation = {
    PropagationWord{"shared", MS_SHARED},
    PropagationWord{"rshared", MS_SHARED | MS_REC},
    PropagationWord{"slave", MS_SLAVE},
    PropagationWord{"rslave", MS_SLAVE | MS_REC},
    PropagationWord{"private", MS_PRIVATE},
    PropagationWord{"rprivate", MS_PRIVATE | MS_REC},
    PropagationWord{"unbindable", MS_UNBINDABLE},
    PropagationWord{"runbindable", MS_UNBINDABLE | MS_REC},
};

template <typename Table, typename Key>
auto find_word(const Table& table, Key word) -> const typename Table::value_type* {
  for (const auto& entry : table)
    if (entry.word == word) return &entry;
  return nullptr;
}

bool contains(const auto& table, std::string_view word) {
  for (const auto& entry : table)
    if (entry == word) return true;
  return false;
}

void apply_attr(AttrChange& change, const AttrWord& w) {
  switch (w.op) {
    case AttrOp::Set:
      change.set |= w.bits;
      change.clr &= ~w.bits;
      break;
    case AttrOp::Clear:
      change.clr |= w.bits;
      change.set &= ~w.bits;
      break;
    case AttrOp::Atime:
      change.set = (change.set & ~uint64_t{MOUNT_ATTR__ATIME}) | w.bits;
      change.clr |= MOUNT_ATTR__ATIME;
      break;
    case AttrOp::AtimeReset:
      // Only undo the word's own mode; "atime" after "strictatime" keeps it.
      if ((change.clr & MOUNT_ATTR__ATIME) && (change.set & MOUNT_ATTR__ATIME) == w.bits) {
        change.set &= ~uint64_t{MOUNT_ATTR__ATIME};
        change.clr &= ~uint64_t{MOUNT_ATTR__ATIME};
      }
      break;
  }
}

// bind, rbind, remount, (no)tmpcopyup, idmap: true when the word was one of them.
bool apply_special(MountOptions& out, std::string_view word) {
  if (word == "bind") {
    out.bind = true;
  } else if (word == "rbind") {
    out.bind = out.recursive_bind = true;
  } else if (word == "remount") {
    out.remount = true;
  } else if (word == "tmpcopyup" || word == "notmpcopyup") {
    out.tmpcopyup = word == "tmpcopyup";
  } else if (word == "idmap" || word == "ridmap") {
    out.idmap = true;
    out.recursive_idmap = out.recursive_idmap || word == "ridmap";
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::string MountOptions::data_string() const {
  std::string joined;
  for (const auto& item : data) {
    if (!joined.empty()) joined += ',';
    joined += item;
  }
  return joined;
}

unsigned long propagation_flags(std::string_view word) {
  const auto* entry = find_word(kPropagation, word);
  return entry ? entry->flags : 0;
}

MountOptions parse_mount_options(const std::vector<std::string>& options) {
  MountOptions out;
  for (const auto& option : options) {
    std::string_view word = option;
    if (const auto* attr = find_word(kAttrWords, word)) {
      apply_attr(out.attrs, *attr);
    } else if (contains(kSbFlags, word)) {
      out.sb_flags.emplace_back(word);
    } else if (contains(kIgnored, word) || apply_special(out, word)) {
      // handled
    } else if (unsigned long prop = propagation_flags(word)) {
      out.propagation.push_back({prop & ~static_cast<unsigned long>(MS_REC), (prop & MS_REC) != 0});
    } else if (const auto* rattr =
                   word.starts_with('r') ? find_word(kAttrWords, word.substr(1)) : nullptr) {
      apply_attr(out.rec_attrs, *rattr);
    } else {
      out.data.push_back(option);
    }
  }
  return out;
}

}  // namespace skiff::mounts
