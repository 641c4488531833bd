using BenchmarkDotNet.Running;

// `dotnet run -c Release --project bench/DeviceFeatures.Benchmarks -- --filter '*' --job short`
// Every BenchmarkDotNet option works here: --filter, --job, --inProcess, --list flat, --exporters ...
BenchmarkSwitcher.FromAssembly(typeof(DeviceFeatures.Benchmarks.SignatureBenchmarks).Assembly).Run(args);
