// The command table: every verb of `lightshuttle`, in the order `--help` lists them. A new verb
// is its file (with `registerX`), one declaration and one entry below, and its source in
// CMakeLists.txt.
#include "cli/flags.hpp"

namespace ls::cli {

void registerDoctor(Registrar& r);
void registerValidate(Registrar& r);
void registerConfig(Registrar& r);
void registerSecrets(Registrar& r);
void registerUp(Registrar& r);
void registerLogs(Registrar& r);
void registerExec(Registrar& r);
void registerRestart(Registrar& r);
void registerWatch(Registrar& r);
void registerPs(Registrar& r);
void registerDown(Registrar& r);
void registerDashboard(Registrar& r);
void registerExport(Registrar& r);
void registerPush(Registrar& r);
void registerDeploy(Registrar& r);
void registerCp(Registrar& r);
void registerTop(Registrar& r);
void registerPort(Registrar& r);
void registerStats(Registrar& r);
void registerBuild(Registrar& r);
void registerPull(Registrar& r);
void registerImages(Registrar& r);
void registerStartStop(Registrar& r);  // start, stop
void registerKill(Registrar& r);
void registerPause(Registrar& r);  // pause, unpause
void registerRun(Registrar& r);
void registerEvents(Registrar& r);
void registerWait(Registrar& r);
void registerLs(Registrar& r);
void registerVersion(Registrar& r);
void registerCompletion(Registrar& r);

const std::vector<RegisterFn>& commandTable() {
  static const std::
      vector<RegisterFn>
          table{
              registerDoctor,     registerValidate, registerConfig,  registerSecrets,
              registerUp,         registerLogs,     registerExec,    registerRestart,
              registerWatch,      registerPs,       registerDown,    registerDashboard,
              registerExport,     registerPush,     registerDeploy,  registerCp,
              registerTop,        registerPort,     registerStats,  // container_commands.hpp
              registerBuild,      registerPull,     registerImages,  registerStartStop,
              registerKill,       registerPause,    registerRun,     registerEvents,
              registerWait,       registerLs,       registerVersion,
              registerCompletion,  // keep last: it lists the verbs above
          };
  return table;
}

}  // namespace ls::cli
