// The scripted engine's table: for every scenario of the contract, the requests DockerRuntime
// must send, in order, and what Docker 20.10 answers to each (after the version negotiation,
// which the backend adds). Written from what dockerd answered to the same scenarios
// (engine_backend.cpp), with fixed ids and times; the backend checks every request line, so a
// change in what the runtime asks shows here first.
#include "contract/scripted_scenarios.hpp"

#include <string>
#include <utility>
#include <vector>

#include "contract/contract.hpp"
#include "contract/scripted_answers.hpp"
#include "support/env.hpp"

namespace ls::contract::scripted {
namespace {

using Script = std::vector<Exchange>;

Script operator+(Script a, const Script& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const std::string kP = kFakeProject;
const std::string kP2 = kFakeOtherProject;
const std::string kNet = std::string(64, 'e');             // the project's network
const std::string kNet2 = std::string(64, 'f');            // the other project's
const std::string kExec = std::string(64, '9');            // an exec
const std::string kT0 = "2026-12-07T06:14:45.215343749Z";  // started
const std::string kT1 = "2026-12-07T06:14:46.731911203Z";  // stopped, or started again
constexpr long long kEventTime = 1796624085;

/// Container `resource` of `project` with id 64 × `digit`, labelled with the config hash of
/// contractSpec(project, resource, cmd): the scenarios that check the hash start exactly that.
Ctr ctr(char digit, const std::string& resource, std::vector<std::string> cmd,
        const std::string& project = kP) {
  Ctr c;
  c.id = std::string(64, digit);
  c.project = project;
  c.resource = resource;
  c.configHash = runtime::configHash(contractSpec(project, resource, std::move(cmd)));
  return c;
}

std::string networkPath(const std::string& project) { return "/networks/lightshuttle-" + project; }
std::string containerPath(const Ctr& c, const std::string& rest) {
  return "/containers/" + c.id + rest;
}

/// ensureProjectNetwork on an engine without it: the inspect says 404, the create makes it.
Script networkCreated(const std::string& project = kP, const std::string& id = kNet) {
  return {notFound(get(networkPath(project)), "network lightshuttle-" + project + " not found"),
          answer(post("/networks/create"), 201, R"({"Id":")" + id + R"(","Warning":""})")};
}

/// The project's network, ours, with the containers running on it.
Exchange networkOurs(const std::vector<Ctr>& attached = {}) {
  return answer(get(networkPath(kP)), 200,
                networkJson("lightshuttle-" + kP, kNet, {{"lightshuttle.project", kP}}, attached));
}

/// start's fast path: create, then start.
Script started(const Ctr& c) {
  return {answer(post("/containers/create?name=" + c.name()), 201,
                 R"({"Id":")" + c.id + R"(","Warnings":[]})"),
          answer(post(containerPath(c, "/start")), 204)};
}

Exchange inspect(const Ctr& c, const State& s) {
  return answer(get(containerPath(c, "/json")), 200, inspectJson(c, s));
}

Exchange noSuchContainer(std::string request, const std::string& nameOrId) {
  return notFound(std::move(request), "No such container: " + nameOrId);
}

/// listManaged: the labelled listing (newest first, as Docker lists), then one inspect each.
Script listed(const std::string& project, const std::vector<std::pair<Ctr, State>>& containers) {
  std::string list = "[";
  Script inspects;
  for (const auto& [c, s] : containers) {
    list += (list.size() > 1 ? "," : "") + summaryJson(c, s.status);
    inspects.push_back(inspect(c, s));
  }
  return Script{answer(get(listPath(project)), 200, list + "]")} + inspects;
}

/// awaitLine: the inspect that logs starts with, then the followed logs up to "ready".
Script readyLine(const Ctr& c) {
  return {inspect(c, running(kT0)),
          stream(get(containerPath(c, "/logs?follow=1&stdout=1&stderr=1&timestamps=1")),
                 {frame(1, kT0 + " ready\n")}, true, "")};
}

std::string eventsOfContainer(const Ctr& c) {
  return get("/events?filters=" +
             encode(R"({"container":[")" + c.id + R"("],"type":["container"]})"));
}

/// exec: its create, its output (closed when it exits), then its exit code.
Script exec(const Ctr& c, const std::string& output, int exitCode) {
  return {answer(post(containerPath(c, "/exec")), 201, R"({"Id":")" + kExec + R"("})"),
          execOutput(post("/exec/" + kExec + "/start"), output),
          answer(get("/exec/" + kExec + "/json"), 200,
                 R"({"ID":")" + kExec + R"(","Running":false,"ExitCode":)" +
                     std::to_string(exitCode) + R"(,"ContainerID":")" + c.id + R"("})")};
}

std::string pathStat(const char* base64) {
  return std::string("X-Docker-Container-Path-Stat: ") + base64 + "\r\n";
}

std::map<std::string, Script> buildTable() {
  std::map<std::string, Script> t;
  const std::vector<std::string> waits = {"sleep", "3600"};  // cmd::ignoresTerm()
  const State up = running(kT0);

  // --- containers (lifecycle_contract.cpp) -----------------------------------------------------
  {
    const Ctr web = ctr('a', "web", cmd::exitsOnTerm(0));
    t["StartedContainerRunsWithTheSpecsIdentity"] =
        networkCreated() + started(web) + Script{inspect(web, up), inspect(web, up)} +
        listed(kP, {{web, up}}) + Script{inspect(web, up), networkOurs({web})};
  }
  t["AnInvalidNameIsInvalidArgumentAndCreatesNothing"] = {answer(get(listPath(kP)), 200, "[]")};
  {
    const Ctr web = ctr('a', "web", waits);
    const Exchange taken = answer(
        post("/containers/create?name=" + web.name()), 409,
        R"({"message":"Conflict. The container name \"/contract_web\" is already in use by container \")" +
            web.id +
            R"(\". You have to remove (or rename) that container to be able to reuse that name."})");
    t["ATakenNameIsConflictNameInUseEvenWhenStopped"] =
        networkCreated() + started(web) +
        Script{taken, inspect(web, up), answer(post(containerPath(web, "/stop?t=1")), 204), taken} +
        listed(kP, {{web, exited(137, kT0, kT1)}});
  }
  {
    const std::string remote = ls::testing::registryAddr() + "/lightshuttle-test/busybox";
    const std::string absent = "lightshuttle-test/absent:contract";
    t["AMissingImageIsNotFoundAndCreatesNothing"] =
        networkCreated() +
        Script{notFound(post("/containers/create?name=contract_never"), "No such image: " + absent),
               notFound(get("/images/" + absent + "/json"),
                        "no such image: " + absent + ": No such image: " + absent),
               notFound(post("/containers/create?name=contract_pulled"),
                        "No such image: " + remote + ":absent-contract"),
               notFound(get("/images/" + remote + ":absent-contract/json"),
                        "no such image: " + remote + ":absent-contract"),
               notFound(post("/images/create?fromImage=" + encode(remote) + "&tag=absent-contract"),
                        "manifest for " + remote +
                            ":absent-contract not found: manifest unknown: manifest unknown"),
               answer(get(listPath(kP)), 200, "[]")};
  }
  {
    const Ctr web = ctr('a', "web", cmd::exitsOnTerm(3));
    t["StopReportsTheExitCodeAndIsIdempotent"] =
        networkCreated() + started(web) + readyLine(web) +
        Script{answer(post(containerPath(web, "/stop?t=10")), 204),
               inspect(web, exited(3, kT0, kT1)),
               answer(post(containerPath(web, "/stop?t=10")), 304)};
  }
  {
    const Ctr stubborn = ctr('a', "stubborn", waits);
    t["StopKillsAProcessIgnoringTheSignalAfterTheGrace"] =
        networkCreated() + started(stubborn) +
        Script{answer(post(containerPath(stubborn, "/stop?t=1")), 204),
               inspect(stubborn, exited(137, kT0, kT1))};
  }
  {
    const Ctr web = ctr('a', "web", waits);
    const Ctr api = ctr('b', "api", waits);
    t["RemovedContainerIsNotFoundEverywhere"] =
        networkCreated() + started(web) + started(api) +
        Script{answer(del("/containers/contract_web?force=1&v=1"), 204),
               answer(del(containerPath(api, "?force=1&v=1")), 204),
               noSuchContainer(del("/containers/contract_web?force=1&v=1"), web.name()),
               noSuchContainer(get(containerPath(web, "/json")), web.id),       // inspect
               noSuchContainer(post(containerPath(web, "/stop?t=1")), web.id),  // stop
               noSuchContainer(get(containerPath(web, "/json")), web.id),       // logs
               noSuchContainer(get(containerPath(web, "/json")), web.id),       // waitHealthy
               noSuchContainer(post(containerPath(web, "/exec")), web.id),      // exec
               answer(get(listPath(kP)), 200, "[]")};
  }
  {
    const Ctr web = ctr('a', "web", waits);
    const Ctr api = ctr('b', "api", waits);
    const Ctr db = ctr('c', "db", waits);
    const Ctr foreign = ctr('d', "api", waits, kP2);
    t["ListManagedSeesOnlyTheProjectSortedByResource"] =
        networkCreated() + started(web) + started(api) + started(db) + networkCreated(kP2, kNet2) +
        started(foreign) + Script{answer(post(containerPath(db, "/stop?t=1")), 204)} +
        listed(kP, {{db, exited(137, kT0, kT1)}, {api, up}, {web, up}}) +
        listed(kP2, {{foreign, up}});
  }
  {
    const Ctr web = ctr('a', "web", cmd::exitsOnTerm(0));
    t["RestartRunsTheSameContainerWithANewStartTime"] =
        networkCreated() + started(web) + readyLine(web) +
        Script{inspect(web, up), answer(post(containerPath(web, "/stop?t=10")), 204),
               answer(post(containerPath(web, "/start")), 204), inspect(web, running(kT1))} +
        listed(kP, {{web, running(kT1)}});
  }

  // --- the project network (network_contract.cpp) ----------------------------------------------
  const Exchange removeNetwork = answer(del("/networks/" + kNet), 204);
  t["ProjectNetworkIsCreatedAndRemovedOnce"] =
      networkCreated() +
      Script{networkOurs(), networkOurs(), removeNetwork,
             notFound(get(networkPath(kP)), "network lightshuttle-contract not found")};
  // The first call creates it; the seven others, waiting for it, find it; then the teardown.
  t["ConcurrentEnsuresCreateTheNetworkOnce"] =
      networkCreated() + Script(8, networkOurs()) + Script{removeNetwork};
  {
    const Ctr db = ctr('a', "db", waits);
    t["TeardownRefusesWhileAContainerRuns"] =
        networkCreated() + started(db) +
        Script{networkOurs({db}), answer(post(containerPath(db, "/stop?t=1")), 204), networkOurs(),
               removeNetwork};
  }
  // Someone else's network of that name: ensure, teardown, start's ensure, ensure again.
  t["AForeignNetworkIsRefusedAndKept"] =
      Script(4, answer(get(networkPath(kP)), 200,
                       networkJson("lightshuttle-" + kP, kNet, {{"owner", "someone-else"}}, {}))) +
      Script{answer(get(listPath(kP)), 200, "[]")};

  // --- the process (process_contract.cpp) ------------------------------------------------------
  {
    const Ctr talker =
        ctr('a', "talker", {"sh", "-c", "echo out-1; echo err-1 >&2; echo out-2; sleep 1"});
    const std::string err = frame(2, "2026-12-07T06:14:45.423642967Z err-1\n");
    t["LogsKeepStdoutAndStderrApart"] =
        networkCreated() + started(talker) +
        Script{inspect(talker, up),
               stream(get(containerPath(talker, "/logs?follow=1&stdout=1&stderr=1&timestamps=1")),
                      {frame(1, "2026-12-07T06:14:45.423320545Z out-1\n"), err,
                       frame(1, "2026-12-07T06:14:45.423560503Z out-2\n")},
                      false, ""),
               inspect(talker, exited(0, kT0, kT1)), inspect(talker, exited(0, kT0, kT1)),
               stream(get(containerPath(talker, "/logs?follow=0&stdout=0&stderr=1&timestamps=1")),
                      {err}, false, "")};
  }
  {
    const Ctr box = ctr('a', "exec", waits);
    t["ExecReturnsOutputAndExitCode"] =
        networkCreated() + started(box) + exec(box, frame(1, "out\n") + frame(2, "err\n"), 7) +
        Script{answer(post(containerPath(box, "/stop?t=1")), 204),
               answer(post(containerPath(box, "/exec")), 409,
                      R"({"message":"Container )" + box.id + R"( is not running"})")};
  }
  {
    Ctr svc = ctr('a', "svc", {});
    svc.healthcheck = {"CMD-SHELL", "test -f /tmp/ready"};
    const State starting = running(kT0, "starting");
    // Probes that fail (the file is not there yet) make it unhealthy first: the wait goes on.
    t["WaitHealthyReturnsOnceTheHealthcheckPasses"] =
        networkCreated() + started(svc) +
        Script{inspect(svc, starting), inspect(svc, starting),
               stream(eventsOfContainer(svc),
                      {eventJson(svc, "exec_create: /bin/sh -c test -f /tmp/ready", kEventTime),
                       eventJson(svc, "exec_die", kEventTime),
                       eventJson(svc, "health_status: unhealthy", kEventTime),
                       eventJson(svc, "health_status: healthy", kEventTime + 1)},
                      true),
               inspect(svc, starting), inspect(svc, running(kT0, "healthy"))};
  }
  {
    Ctr bad = ctr('a', "bad", {});
    bad.healthcheck = {"CMD", "false"};
    const State starting = running(kT0, "starting");
    t["WaitHealthyFailsWhenTheProcessExitsFirst"] =
        networkCreated() + started(bad) +
        Script{
            inspect(bad, starting),
            stream(eventsOfContainer(bad), {eventJson(bad, "die", kEventTime, "3")}, true),
            inspect(bad, starting),
            stream(get(containerPath(bad, "/logs?follow=0&stdout=1&stderr=1&timestamps=0&tail=20")),
                   {frame(1, "booting\n"), frame(2, "cannot bind port\n")}, false, "")};
  }
  {
    Ctr slow = ctr('a', "slow", {});
    slow.healthcheck = {"CMD", "false"};
    const State starting = running(kT0, "starting");
    t["WaitHealthyTimesOutWhileTheHealthcheckFails"] =
        networkCreated() + started(slow) +
        Script{inspect(slow, starting), stream(eventsOfContainer(slow), {}, true),
               inspect(slow, starting)};
  }
  {
    const Ctr ev = ctr('a', "ev", {"sh", "-c", "sleep 1; exit 4"});
    const std::string byProject =
        R"({"label":["lightshuttle.project=)" + kP + R"("],"type":["container"]})";
    t["EventsReportStartDieAndDestroy"] =
        Script{stream(
            get("/events?filters=" + encode(byProject)),
            {eventJson(ev, "create", kEventTime), eventJson(ev, "start", kEventTime),
             eventJson(ev, "die", kEventTime + 1, "4"), eventJson(ev, "destroy", kEventTime + 1)},
            true)} +
        networkCreated() + started(ev) +
        Script{answer(del("/containers/contract_ev?force=1&v=1"), 204)};
  }

  // --- files, volumes, the environment (engine_contract.cpp) -----------------------------------
  {
    const Ctr files = ctr('a', "files", waits);
    // {"name":"tmp",...,"mode":2148532735} (a directory) and {"name":"passwd",...,"mode":420}.
    const char* tmp =
        "eyJuYW1lIjoidG1wIiwic2l6ZSI6NDA5NiwibW9kZSI6MjE0ODUzMjczNSwibXRpbWUiOiIyMDI2LTEyLTA3VDAw"
        "OjUxOjM4WiIsImxpbmtUYXJnZXQiOiIifQ==";
    const char* passwd =
        "eyJuYW1lIjoicGFzc3dkIiwic2l6ZSI6ODIsIm1vZGUiOjQyMCwibXRpbWUiOiIyMDI2LTEyLTA3VDAwOjUwOjE5"
        "WiIsImxpbmtUYXJnZXQiOiIifQ==";
    const std::string archive = "/v1.41" + containerPath(files, "/archive?path=");
    t["ArchivePutIsVisibleThroughExec"] =
        networkCreated() + started(files) +
        Script{answer("HEAD " + archive + "%2Ftmp", 200, "", pathStat(tmp)),
               answer("PUT " + archive + "%2Ftmp&noOverwriteDirNonDir=0&copyUIDGID=0", 200)} +
        exec(files, frame(1, "hello from the contract\n"), 0) +
        Script{answer("HEAD " + archive + "%2Fno%2Fsuch%2Fdir", 404),
               answer("HEAD " + archive + "%2Fetc%2Fpasswd", 200, "", pathStat(passwd))};
  }
  {
    Ctr db = ctr('a', "db", waits);
    db.binds = {"contract_data:/data"};
    t["NamedVolumeOutlivesItsContainerUntilRemoved"] =
        networkCreated() + started(db) + listed(kP, {{db, up}}) +
        Script{
            answer(del("/volumes/contract_data"), 409,
                   R"({"message":"remove contract_data: volume is in use - [)" + db.id + R"(]"})"),
            answer(del("/containers/contract_db?force=1&v=1"), 204),
            answer(del("/volumes/contract_data"), 204),
            notFound(del("/volumes/contract_data"), "get contract_data: no such volume")};
  }
  {
    const Ctr env = ctr('a', "env", waits);
    t["ExecSeesTheSpecsEnvironment"] =
        networkCreated() + started(env) + exec(env, frame(1, "hello contract\n"), 0);
  }
  {
    const Ctr slow = ctr('a', "slow", waits);
    // The exec's output never ends: the timeout (virtual time) ends the call.
    t["ExecIsBoundedByItsTimeout"] =
        networkCreated() + started(slow) +
        Script{answer(post(containerPath(slow, "/exec")), 201, R"({"Id":")" + kExec + R"("})"),
               execOutput(post("/exec/" + kExec + "/start"), "", true)};
  }
  return t;
}

}  // namespace

const std::map<std::string, std::vector<Exchange>>& scenarios() {
  static const std::map<std::string, std::vector<Exchange>> table = buildTable();
  return table;
}

}  // namespace ls::contract::scripted
