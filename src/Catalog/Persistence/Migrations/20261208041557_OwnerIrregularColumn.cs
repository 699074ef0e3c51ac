using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Catalog.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class OwnerIrregularColumn : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The expression index this replaces (SpecOwnerColumn): its expression had no statistics a generic plan could
            // use, so PostgreSQL guessed 1,000 matches and planned the team page anew on every execution.
            migrationBuilder.Sql("DROP INDEX catalog.ix_entities_owner_irregular");

            migrationBuilder.AddColumn<bool>(
                name: "owner_irregular",
                schema: "catalog",
                table: "entities",
                type: "boolean",
                nullable: false,
                computedColumnSql: "CASE WHEN jsonb_typeof(facts -> 'spec.owner') = 'array' THEN CASE WHEN jsonb_array_length(facts -> 'spec.owner') = 1 THEN facts -> 'spec.owner' ->> 0 IS NULL ELSE TRUE END ELSE facts ? 'spec.owner' END",
                stored: true);

            migrationBuilder.CreateIndex(
                name: "ix_entities_owner_irregular",
                schema: "catalog",
                table: "entities",
                column: "facts",
                filter: "owner_irregular")
                .Annotation("Npgsql:IndexMethod", "gin")
                .Annotation("Npgsql:IndexOperators", new[] { "jsonb_path_ops" });

            // Adding the column rewrote the table, and until autovacuum comes by it has no statistics: the planner would
            // take half the rows for irregular. A few seconds at 100,000 entities.
            migrationBuilder.Sql("ANALYZE catalog.entities");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_entities_owner_irregular",
                schema: "catalog",
                table: "entities");

            migrationBuilder.Sql("""
                CREATE INDEX ix_entities_owner_irregular ON catalog.entities
                USING gin ((CASE WHEN spec_owner IS NULL THEN facts ELSE '{}'::jsonb END) jsonb_path_ops)
                """);

            migrationBuilder.DropColumn(
                name: "owner_irregular",
                schema: "catalog",
                table: "entities");
        }
    }
}
