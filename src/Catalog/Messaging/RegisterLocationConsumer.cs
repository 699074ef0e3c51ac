using MassTransit;
using Npgsql;
using Portal.Catalog.Locations;
using Portal.Catalog.Persistence;
using Portal.Contracts.Catalog;

namespace Portal.Catalog.Messaging;

/// <summary>
/// Registers the location a <see cref="RegisterLocation"/> command names, once per message however often it is
/// delivered (every replica's in-memory bus hears it; a relay may publish it twice): the command is claimed in the
/// catalog's inbox inside the registration's own transaction, and the answer goes out through the outbox.
/// </summary>
internal sealed class RegisterLocationConsumer(LocationService locations) : IConsumer<RegisterLocation>
{
    /// <summary>The consumer's name in the inbox.</summary>
    public const string InboxName = "catalog.register-location";

    public async Task Consume(ConsumeContext<RegisterLocation> context)
    {
        // Without a message id a repeat cannot be recognised; the relay and MassTransit always set one.
        var claim = new InboxClaim(InboxName, context.MessageId ?? throw new InvalidOperationException("RegisterLocation arrived without a message id."));
        var command = context.Message;
        try
        {
            await locations.RegisterAsync(command.Type, command.Target, claim, command.RequestedBy, context.CancellationToken);
        }
        catch (LocationConflictException)
        {
            await locations.AnswerAsync(claim, command, failure: null, context.CancellationToken);
        }
        catch (Exception exception) when (exception is LocationForbiddenException or LocationReadException)
        {
            // Refused or unreadable: no retry can change that, so it is answered, not faulted.
            await locations.AnswerAsync(claim, command, exception.Message, context.CancellationToken);
        }
    }
}

/// <summary>A bus message to claim in the catalog's inbox for one consumer.</summary>
internal sealed record InboxClaim(string Consumer, Guid MessageId)
{
    /// <summary>Claims it in the connection's transaction; false when it was applied already.</summary>
    public Task<bool> TryAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        CatalogDbContext.Inbox.TryClaimAsync(connection, Consumer, MessageId, cancellationToken);
}
