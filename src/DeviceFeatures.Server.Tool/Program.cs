using DeviceFeatures.Server.Tool;

// Ctrl+C and SIGTERM are the server's to handle (ASP.NET Core's console lifetime): it stops accepting, finishes what
// it is answering, and exits 0.
return await ToolApp.RunAsync(args, Console.Out, Console.Error);
