// The manager's views and events: redaction of secrets, event publication, resource and stack
// views, resource details (secrets masked) and the failure report of handle operations.
#include "lifecycle/manager_impl.hpp"

namespace ls::lifecycle {

LifecycleManager::Impl::Impl(runtime::Runtime& rt, Clock& clock, Rng& rng, Plan plan,
                             Options options)
    : rt(rt),
      clock(clock),
      rng(rng),
      plan(std::move(plan)),
      options(std::move(options)),
      bus(this->options.eventQueueCapacity),
      res(this->plan.size()) {
  buildBound = this->options.concurrentBuilds > 0 ? this->options.concurrentBuilds
                                                  : defaultConcurrentBuilds();
  pullBound =
      this->options.concurrentPulls > 0 ? this->options.concurrentPulls : kDefaultConcurrentPulls;
  for (const PlanNode& n : this->plan.nodes()) {
    for (const std::string& key : n.spec.secretEnvKeys) {
      auto it = n.spec.env.find(key);
      if (it != n.spec.env.end() && it->second.size() >= kMinSecretLength) {
        // Also its URL-encoded and URL-decoded spellings: a password travels inside URLs.
        for (std::string form :
             {it->second, percentEncode(it->second), percentDecode(it->second)}) {
          if (form.size() >= kMinSecretLength &&
              std::find(secrets.begin(), secrets.end(), form) == secrets.end()) {
            secrets.push_back(std::move(form));
          }
        }
      }
    }
  }
  // Longest first, so that a secret containing another is redacted whole.
  std::sort(secrets.begin(), secrets.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

std::string LifecycleManager::Impl::redact(std::string text) const {
  for (const std::string& secret : secrets) {
    for (std::size_t pos = text.find(secret); pos != std::string::npos;
         pos = text.find(secret, pos + 3)) {
      text.replace(pos, secret.size(), "***");
    }
  }
  return text;
}

Error LifecycleManager::Impl::redact(const Error& e) const {
  Error out(e.code(), redact(e.message()));
  for (const std::string& frame : e.contexts()) {
    out.context(redact(frame));
  }
  if (e.engine()) {
    out.withEngine(e.engine()->status, redact(e.engine()->message));
  }
  if (!e.reason().empty()) {
    out.withReason(e.reason());
  }
  return out;
}

void LifecycleManager::Impl::emit(Kind kind, std::optional<std::size_t> i, std::string message,
                                  std::optional<int> exitCode) {
  LifecycleEvent ev;
  ev.kind = kind;
  ev.time = clock.system();
  ev.message = redact(std::move(message));
  ev.exitCode = exitCode;
  if (i) {
    const Resource& r = res[*i];
    ev.resource = node(*i).name;
    ev.restarts = r.restarts;
    if (r.id) {
      ev.containerId = r.id->value;
    }
  }
  bus.publish(ev);
}

void LifecycleManager::Impl::onImageProgress(std::size_t i, const runtime::ImageProgress& p,
                                             ProgressThrottle& t) {
  std::string status = p.status;
  while (!status.empty() &&
         (status.back() == '\n' || status.back() == '\r' || status.back() == ' ')) {
    status.pop_back();
  }
  if (status.empty()) {
    return;
  }
  const Clock::SteadyTime now = clock.steady();
  const bool fresh = status != t.lastStatus;
  if (!fresh && t.lastAt && now - *t.lastAt < std::chrono::milliseconds(250)) {
    return;
  }
  t.lastStatus = status;
  t.lastAt = now;
  std::string message = status;
  if (!p.id.empty()) {
    message += " " + p.id;
  }
  if (p.total > 0) {
    char bytes[64];
    std::snprintf(bytes, sizeof(bytes), " %.1f/%.1f MB", static_cast<double>(p.current) / 1e6,
                  static_cast<double>(p.total) / 1e6);
    message += bytes;
  }
  if (message.size() > 160) {
    message.resize(157);
    message += "...";
  }
  emit(Kind::ResourceProgress, i, std::move(message));
}

void LifecycleManager::Impl::emitRestarting(std::size_t i, std::chrono::nanoseconds delay,
                                            std::string message) {
  LifecycleEvent ev;
  ev.kind = Kind::ResourceRestarting;
  ev.time = clock.system();
  ev.resource = node(i).name;
  ev.restarts = res[i].restarts;
  ev.delay = delay;
  ev.message = redact(std::move(message));
  bus.publish(ev);
}

void LifecycleManager::Impl::setStatus(std::size_t i, ResourceStatus s) {
  res[i].status = s;
  changed.notifyAll();
}

void LifecycleManager::Impl::fail(std::size_t i, const std::string& message) {
  Resource& r = res[i];
  r.status = ResourceStatus::Failed;
  r.supervised = false;
  r.lastError = redact(message);
  emit(Kind::ResourceFailed, i, message);
  changed.notifyAll();
}

std::optional<std::size_t> LifecycleManager::Impl::indexOfResource(std::string_view name) const {
  return plan.indexOf(name);
}

ResourceView LifecycleManager::Impl::view(std::size_t i) const {
  const PlanNode& n = node(i);
  const Resource& r = res[i];
  ResourceView v;
  v.name = n.name;
  v.kind = n.kind;
  v.status = r.status;
  // A health is only shown for a container that runs (never a stale one of a stopped one).
  const bool runs =
      r.id && (r.status == ResourceStatus::Running || r.status == ResourceStatus::Starting);
  v.health = runs ? r.health : Health::None;
  v.image = imageOf(n.spec);
  v.imageId = r.imageId;
  v.containerId = r.id ? r.id->value : std::string();
  v.containerName = n.spec.name;
  v.ports = r.ports;
  for (const Dependency& d : n.dependencies) {
    v.dependsOn.push_back(d.name);
  }
  v.startedAt = r.startedAt;
  v.readyAt = r.readyAt;
  v.timeToReady = r.timeToReady;
  v.restarts = r.restarts;
  v.lastError = r.lastError;
  v.exitCode = r.exitCode;
  v.operation = r.operation;
  return v;
}

StackView LifecycleManager::Impl::stackView() const {
  StackView s;
  s.project = plan.project();
  s.startedAt = stackStartedAt;
  s.readyAt = stackReadyAt;
  s.resources = plan.size();
  s.engineAvailable = !engineDown;
  s.engineUnavailableSince = engineDownSince;
  s.watch = watch;
  bool degraded = !s.engineAvailable;
  for (const Resource& r : res) {
    const bool ready = (r.status == ResourceStatus::Running && r.health != Health::Unhealthy) ||
                       r.status == ResourceStatus::Completed;
    s.resourcesReady += ready ? 1 : 0;
    degraded = degraded || (r.selected && !ready);
  }
  switch (phase) {
    case Phase::Idle:
    case Phase::Booting: s.status = StackStatus::Starting; break;
    case Phase::Running: s.status = degraded ? StackStatus::Degraded : StackStatus::Ready; break;
    case Phase::Failed: s.status = StackStatus::Failed; break;
    case Phase::Stopping: s.status = StackStatus::Stopping; break;
    case Phase::Stopped: s.status = StackStatus::Stopped; break;
  }
  return s;
}

ResourceDetail LifecycleManager::Impl::detailOf(std::size_t i) const {
  const PlanNode& n = node(i);
  ResourceDetail d;
  d.view = view(i);
  for (const auto& [key, value] : n.spec.env) {
    const bool secret = n.spec.secretEnvKeys.contains(key) || looksSecret(key);
    d.env.emplace_back(key, secret ? std::string("***") : redact(value));
  }
  d.healthcheck = n.spec.healthcheck;
  if (d.healthcheck) {
    for (std::string& part : d.healthcheck->test) {
      part = redact(std::move(part));
    }
  }
  switch (n.spec.restart.mode) {
    case runtime::RestartPolicy::Mode::No: d.restartPolicy = "no"; break;
    case runtime::RestartPolicy::Mode::Always: d.restartPolicy = "always"; break;
    case runtime::RestartPolicy::Mode::OnFailure:
      d.restartPolicy = n.spec.restart.maxRetries
                            ? "on-failure:" + std::to_string(*n.spec.restart.maxRetries)
                            : std::string("on-failure");
      break;
  }
  for (const auto* part : {&n.spec.entrypoint, &n.spec.command}) {
    if (*part) {
      for (const std::string& arg : **part) {
        d.command.push_back(redact(arg));
      }
    }
  }
  for (const runtime::VolumeBinding& vb : n.spec.volumes) {
    std::string text = vb.kind == runtime::VolumeBinding::Kind::Anonymous
                           ? vb.target
                           : vb.source + ":" + vb.target;
    d.volumes.push_back(vb.readOnly ? text + ":ro" : text);
  }
  return d;
}

/// Env keys whose values are secrets by name, whatever the manifest declared.
bool LifecycleManager::Impl::looksSecret(std::string_view key) {
  std::string upper(key);
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  for (std::string_view marker : {"PASSWORD", "PASSWD", "SECRET", "TOKEN", "_KEY", "CREDENTIAL"}) {
    if (upper.find(marker) != std::string::npos) {
      return true;
    }
  }
  return upper == "KEY";
}

Result<runtime::ContainerId> LifecycleManager::Impl::runningContainer(std::string_view name) const {
  LS_ASSIGN_OR_RETURN(std::size_t i, lookup(name));
  if (!res[i].id) {
    return Error(Errc::FailedPrecondition, "resource " + quote(name) + " has no container");
  }
  return *res[i].id;
}

// A handle operation's failure that no other event reports (a precondition, a conflict, a
// failed stop) reaches observers as OperationFailed; launch failures also emit ResourceFailed.
void LifecycleManager::Impl::reportOperation(std::string_view op, std::string_view name,
                                             const Result<void>& r) {
  if (!r && r.error().code() == Errc::Cancelled) {
    return;
  }
  std::optional<std::size_t> i = plan.indexOf(name);
  LifecycleEvent ev;
  ev.kind = r ? Kind::OperationCompleted : Kind::OperationFailed;
  ev.time = clock.system();
  ev.resource = std::string(name);
  ev.message =
      r ? std::string(op) + " completed" : std::string(op) + " failed: " + redact(r.error().what());
  if (i) {
    ev.restarts = res[*i].restarts;
  }
  bus.publish(ev);
}

}  // namespace ls::lifecycle
