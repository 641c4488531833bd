namespace DeviceFeatures.Server.Device;

/// <summary>
/// The devices of this instance waiting in a long poll, by MAC address, each with one signal that completes when the
/// device's configuration changes. A waiter takes the signal before it reads the version, so that a change committed
/// between its read and its wait still wakes it. Nothing here holds a connection or a thread: a waiting request is
/// an awaited task.
/// </summary>
internal sealed class DeviceSignals
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);

    /// <summary>Registers a waiter of the device; null when it already has <paramref name="maxWaiters"/>.</summary>
    public Waiter? TryEnter(string macAddress, int maxWaiters)
    {
        lock (_gate)
        {
            if (!_slots.TryGetValue(macAddress, out var slot))
            {
                _slots[macAddress] = slot = new Slot();
            }

            if (slot.Waiters >= maxWaiters)
            {
                return null;
            }

            slot.Waiters++;
            return new Waiter(this, macAddress, slot);
        }
    }

    /// <summary>Wakes the waiters of these devices; called once the change has committed.</summary>
    public void Changed(IEnumerable<string> macAddresses)
    {
        List<TaskCompletionSource>? woken = null;
        lock (_gate)
        {
            foreach (var mac in macAddresses)
            {
                if (_slots.TryGetValue(mac, out var slot))
                {
                    (woken ??= []).Add(slot.Signal);
                    slot.Signal = NewSignal();
                }
            }
        }

        // Outside the lock: the continuations run elsewhere (RunContinuationsAsynchronously) but need not wait for it.
        woken?.ForEach(s => s.TrySetResult());
    }

    /// <summary>Wakes every waiter, which reads its version again: after notifications may have been missed.</summary>
    public void ChangedAll()
    {
        string[] all;
        lock (_gate)
        {
            all = [.. _slots.Keys];
        }

        Changed(all);
    }

    /// <summary>How many devices have a waiter now (for tests and metrics).</summary>
    public int WaitingDevices
    {
        get
        {
            lock (_gate)
            {
                return _slots.Count;
            }
        }
    }

    /// <summary>How many requests of the device wait now.</summary>
    public int WaitersOf(string macAddress)
    {
        lock (_gate)
        {
            return _slots.TryGetValue(macAddress, out var slot) ? slot.Waiters : 0;
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Leave(string macAddress, Slot slot)
    {
        lock (_gate)
        {
            if (--slot.Waiters == 0)
            {
                _slots.Remove(macAddress);
            }
        }
    }

    internal sealed class Slot
    {
        public TaskCompletionSource Signal { get; set; } = NewSignal();

        public int Waiters { get; set; }
    }

    /// <summary>One waiting request: <see cref="Next"/> completes at the next change; disposing it leaves.</summary>
    internal sealed class Waiter(DeviceSignals owner, string macAddress, Slot slot) : IDisposable
    {
        private bool _left;

        /// <summary>The signal of the next change; take it again after each wake-up, before reading the version.</summary>
        public Task Next()
        {
            lock (owner._gate)
            {
                return slot.Signal.Task;
            }
        }

        public void Dispose()
        {
            if (!_left)
            {
                _left = true;
                owner.Leave(macAddress, slot);
            }
        }
    }
}
