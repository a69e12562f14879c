using Zombiesim.Cli;

return ZombiesimCli.Run(args, Console.Out, Console.Error);
