using System.Runtime.InteropServices;
using Zombiesim.Cli;
using Zombiesim.Core.Files;

// Ctrl-C, SIGTERM and SIGHUP end the process; the temporaries of files not yet complete go first, so
// that an interruption leaves every file as it was before.
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => AtomicFile.RemovePending());
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => AtomicFile.RemovePending());
using var hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, _ => AtomicFile.RemovePending());

return ZombiesimCli.Run(args, Console.Out, Console.Error);
