// Forwards task events to containerd over its ttrpc socket
// (containerd.services.events.ttrpc.v1.Events/Forward), in the order they
// were published, without blocking the loop on containerd's answers.
#pragma once

#include <google/protobuf/message_lite.h>

#include <string>

#include "shim/event_loop.hpp"
#include "shim/ttrpc.hpp"
#include "util/fd.hpp"

namespace skiff::shim {

class Publisher {
 public:
  // address: containerd's ttrpc socket ("unix://" optional); empty disables.
  Publisher(EventLoop& loop, std::string address, std::string ns);
  ~Publisher();

  // topic "/tasks/exit", event a containerd.events message whose full name
  // (type_name, e.g. "containerd.events.TaskExit") becomes the Any's type url.
  void publish(const std::string& topic, const std::string& type_name, const google::protobuf::MessageLite& event);

  [[nodiscard]] const std::string& ns() const { return namespace_; }

  // Block until every queued event is written (before the shim exits).
  void drain();

 private:
  bool connect();
  void flush();
  void on_event(uint32_t events);

  EventLoop& loop_;
  std::string address_;
  std::string namespace_;
  UniqueFd socket_;
  std::string output_;
  uint32_t next_stream_ = 1;
  ttrpc::FrameReader replies_;
};

}  // namespace skiff::shim
