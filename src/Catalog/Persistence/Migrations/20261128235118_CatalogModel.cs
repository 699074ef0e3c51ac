using System;
using System.Text.Json;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Portal.Catalog.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class CatalogModel : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "catalog");

            migrationBuilder.AlterDatabase()
                .Annotation("Npgsql:PostgresExtension:pg_trgm", ",,");

            migrationBuilder.CreateTable(
                name: "catalog_state",
                schema: "catalog",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_catalog_state", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "entities",
                schema: "catalog",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    @ref = table.Column<string>(name: "ref", type: "text", nullable: false),
                    kind = table.Column<string>(type: "text", nullable: false),
                    @namespace = table.Column<string>(name: "namespace", type: "text", nullable: false),
                    name = table.Column<string>(type: "text", nullable: false),
                    title = table.Column<string>(type: "text", nullable: true),
                    description = table.Column<string>(type: "text", nullable: true),
                    type = table.Column<string>(type: "text", nullable: true),
                    lifecycle = table.Column<string>(type: "text", nullable: true),
                    owner_ref = table.Column<string>(type: "text", nullable: true),
                    system_ref = table.Column<string>(type: "text", nullable: true),
                    tags = table.Column<string[]>(type: "text[]", nullable: false),
                    document = table.Column<JsonDocument>(type: "jsonb", nullable: false),
                    facts = table.Column<JsonDocument>(type: "jsonb", nullable: false),
                    search_text = table.Column<string>(type: "text", nullable: false),
                    status_items = table.Column<JsonDocument>(type: "jsonb", nullable: true),
                    etag = table.Column<string>(type: "text", nullable: false),
                    hash = table.Column<string>(type: "text", nullable: false),
                    location_id = table.Column<Guid>(type: "uuid", nullable: true),
                    orphan = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_entities", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "entity_history",
                schema: "catalog",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    entity_id = table.Column<Guid>(type: "uuid", nullable: false),
                    entity_ref = table.Column<string>(type: "text", nullable: false),
                    change = table.Column<string>(type: "text", nullable: false),
                    actor = table.Column<string>(type: "text", nullable: false),
                    changed_fields = table.Column<string[]>(type: "text[]", nullable: false),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_entity_history", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "locations",
                schema: "catalog",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    type = table.Column<string>(type: "text", nullable: false),
                    target = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    refreshed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    problems = table.Column<JsonDocument>(type: "jsonb", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_locations", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "relations",
                schema: "catalog",
                columns: table => new
                {
                    origin_id = table.Column<Guid>(type: "uuid", nullable: false),
                    source_ref = table.Column<string>(type: "text", nullable: false),
                    type = table.Column<string>(type: "text", nullable: false),
                    target_ref = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_relations", x => new { x.origin_id, x.source_ref, x.type, x.target_ref });
                });

            migrationBuilder.InsertData(
                schema: "catalog",
                table: "catalog_state",
                columns: new[] { "id", "version" },
                values: new object[] { 1, 0L });

            migrationBuilder.CreateIndex(
                name: "ix_entities_facts",
                schema: "catalog",
                table: "entities",
                column: "facts")
                .Annotation("Npgsql:IndexMethod", "gin");

            migrationBuilder.CreateIndex(
                name: "ix_entities_kind_ref",
                schema: "catalog",
                table: "entities",
                columns: new[] { "kind", "ref" });

            migrationBuilder.CreateIndex(
                name: "ix_entities_location",
                schema: "catalog",
                table: "entities",
                column: "location_id");

            migrationBuilder.CreateIndex(
                name: "ix_entities_owner_kind_ref",
                schema: "catalog",
                table: "entities",
                columns: new[] { "owner_ref", "kind", "ref" });

            migrationBuilder.CreateIndex(
                name: "ix_entities_ref",
                schema: "catalog",
                table: "entities",
                column: "ref",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_entities_search",
                schema: "catalog",
                table: "entities",
                column: "search_text")
                .Annotation("Npgsql:IndexMethod", "gin")
                .Annotation("Npgsql:IndexOperators", new[] { "gin_trgm_ops" });

            migrationBuilder.CreateIndex(
                name: "ix_entities_system_ref",
                schema: "catalog",
                table: "entities",
                columns: new[] { "system_ref", "ref" });

            migrationBuilder.CreateIndex(
                name: "ix_entity_history_ref",
                schema: "catalog",
                table: "entity_history",
                columns: new[] { "entity_ref", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_locations_type_target",
                schema: "catalog",
                table: "locations",
                columns: new[] { "type", "target" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_relations_source",
                schema: "catalog",
                table: "relations",
                columns: new[] { "source_ref", "type" });

            migrationBuilder.CreateIndex(
                name: "ix_relations_target",
                schema: "catalog",
                table: "relations",
                columns: new[] { "target_ref", "type" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "catalog_state",
                schema: "catalog");

            migrationBuilder.DropTable(
                name: "entities",
                schema: "catalog");

            migrationBuilder.DropTable(
                name: "entity_history",
                schema: "catalog");

            migrationBuilder.DropTable(
                name: "locations",
                schema: "catalog");

            migrationBuilder.DropTable(
                name: "relations",
                schema: "catalog");

            migrationBuilder.AlterDatabase()
                .OldAnnotation("Npgsql:PostgresExtension:pg_trgm", ",,");
        }
    }
}
