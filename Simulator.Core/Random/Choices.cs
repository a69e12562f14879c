using System.Text;

namespace Zombiesim.Core.Random;

/// <summary>
/// The one door through which all nondeterminism enters the model: integers, doubles, booleans
/// and the order of simultaneous events. A seeded generator answers in ordinary runs; systematic
/// exploration answers with a controlled scheduler instead.
/// </summary>
public interface IChoices
{
    /// <summary>An integer in [<paramref name="minInclusive"/>, <paramref name="maxExclusive"/>).</summary>
    long NextInt64(long minInclusive, long maxExclusive);

    /// <summary>A double in [0, 1).</summary>
    double NextDouble();

    bool NextBoolean();

    /// <summary>Which of <paramref name="count"/> simultaneous events runs first (an index).</summary>
    int ChooseFirst(int count);

    /// <summary>An independent stream for <paramref name="name"/>: its draws depend only on the
    /// parent's identity and the name, never on what else has been drawn.</summary>
    IChoices Stream(string name);
}

/// <summary>Choices that pick durations from a finite set of candidates (systematic exploration).</summary>
public interface IDiscreteChoices : IChoices
{
    TimeSpan ChooseDuration(Distribution distribution);
}

/// <summary>
/// The default choices: xoshiro256** seeded through SplitMix64, both fixed here so that results
/// never change with the runtime. Streams are keyed by (seed, path of names) via FNV-1a, so the
/// same seed and stream name give the same sequence whatever else the model draws (common random
/// numbers across a parameter sweep).
/// </summary>
public sealed class SeededChoices : IChoices
{
    private readonly ulong _key;
    private ulong _s0, _s1, _s2, _s3;

    public SeededChoices(ulong seed) : this(Mix(seed ^ 0x5A0B_1E5E_ED00_0001UL), isKey: true) { }

    private SeededChoices(ulong key, bool isKey)
    {
        System.Diagnostics.Debug.Assert(isKey);
        _key = key;
        ulong x = key;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    public IChoices Stream(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return new SeededChoices(Mix(_key ^ Fnv1a(name)), isKey: true);
    }

    /// <summary>The next raw 64 bits (xoshiro256**, Blackman and Vigna 2018).</summary>
    public ulong NextUInt64()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    public long NextInt64(long minInclusive, long maxExclusive)
    {
        if (maxExclusive <= minInclusive)
            throw new ArgumentOutOfRangeException(nameof(maxExclusive), $"empty range [{minInclusive}, {maxExclusive})");
        ulong range = (ulong)(maxExclusive - minInclusive);
        // Lemire's nearly divisionless method: unbiased.
        ulong x = NextUInt64();
        UInt128 m = (UInt128)x * range;
        ulong low = (ulong)m;
        if (low < range)
        {
            ulong threshold = (0 - range) % range;
            while (low < threshold)
            {
                x = NextUInt64();
                m = (UInt128)x * range;
                low = (ulong)m;
            }
        }
        return minInclusive + (long)(ulong)(m >> 64);
    }

    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public bool NextBoolean() => (NextUInt64() >> 63) != 0;

    public int ChooseFirst(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return (int)NextInt64(0, count);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9E37_79B9_7F4A_7C15UL;
        return Mix(x);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
        return z ^ (z >> 31);
    }

    private static ulong Fnv1a(string s)
    {
        ulong h = 0xCBF2_9CE4_8422_2325UL;
        int most = Encoding.UTF8.GetMaxByteCount(s.Length);
        Span<byte> utf8 = most <= 256 ? stackalloc byte[256] : new byte[most]; // a name's bytes without allocating
        foreach (byte b in utf8[..Encoding.UTF8.GetBytes(s, utf8)])
        {
            h ^= b;
            h *= 0x0000_0100_0000_01B3UL;
        }
        return h;
    }
}
