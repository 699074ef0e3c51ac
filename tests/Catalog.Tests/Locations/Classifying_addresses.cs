using System.Net;
using Portal.Catalog.Locations;

namespace Portal.Catalog.Tests.Locations;

public sealed class Classifying_addresses
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.255.254")]
    [InlineData("10.0.0.1")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:10.1.2.3")]
    [InlineData("::127.0.0.1")]
    [InlineData("::169.254.169.254")]
    [InlineData("64:ff9b::7f00:1")]
    [InlineData("64:ff9b::a9fe:a9fe")]
    [InlineData("2002:7f00:1::")]
    [InlineData("2002:c0a8:101::1")]
    public void Internal_addresses_in_every_spelling_are_private(string address)
    {
        Assert.True(UrlTargetReader.IsPrivate(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]
    [InlineData("100.128.0.1")]
    [InlineData("2606:4700::1111")]
    [InlineData("::ffff:8.8.8.8")]
    [InlineData("64:ff9b::808:808")]
    [InlineData("2002:808:808::")]
    public void Public_addresses_are_not(string address)
    {
        Assert.False(UrlTargetReader.IsPrivate(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("files.allowed.example", true)]
    [InlineData("FILES.Allowed.Example", true)]
    [InlineData("allowed.example.evil.example", false)]
    [InlineData("notallowed.example", false)]
    [InlineData("allowed.example", false)]
    [InlineData("[::1]", true)]
    public void Allowed_hosts_match_exact_names_wildcard_subdomains_and_IPv6_with_or_without_brackets(string host, bool allowed)
    {
        Assert.Equal(allowed, UrlTargetReader.IsAllowedHost(host, ["*.allowed.example", "::1"]));
    }
}
