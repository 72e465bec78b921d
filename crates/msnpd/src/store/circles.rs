//! Circles and their members.

use sqlx::Row;

use super::*;

/// A circle as stored. Times are microseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CircleRow {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub changed_at: i64,
    pub deleted: bool,
}

/// One account's place in a circle: role and state are the numbers of the
/// address book service (see `core::circles`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    pub account_id: i64,
    pub email: String,
    pub friendly_name: String,
    pub role: i32,
    pub state: i32,
    pub inviter_id: Option<i64>,
    pub changed_at: i64,
}

fn circle_row(row: &sqlx::any::AnyRow) -> Result<CircleRow, sqlx::Error> {
    Ok(CircleRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
        changed_at: row.try_get("changed_at")?,
        deleted: row.try_get::<i32, _>("deleted")? != 0,
    })
}

fn member_row(row: &sqlx::any::AnyRow) -> Result<MemberRow, sqlx::Error> {
    Ok(MemberRow {
        account_id: row.try_get("account_id")?,
        email: row.try_get("email")?,
        friendly_name: row.try_get("friendly_name")?,
        role: row.try_get("role")?,
        state: row.try_get("state")?,
        inviter_id: row.try_get("inviter_id")?,
        changed_at: row.try_get("member_changed_at")?,
    })
}

/// The columns `member_row` reads (a macro: queries are static strings).
macro_rules! member_columns {
    () => {
        "m.account_id, a.email, a.friendly_name, m.role, m.state, m.inviter_id, m.changed_at AS member_changed_at"
    };
}

impl Store {
    /// A new circle with `admin` its first member; `Duplicate` if the id is taken.
    pub async fn create_circle(&self, circle: &CircleRow, admin: &MemberRow) -> StoreResult<()> {
        let _timed = self.timed("create_circle");
        let mut tx = self.write_transaction().await?;
        let inserted =
            sqlx::query("INSERT INTO circles (id, name, created_at, changed_at, deleted) VALUES ($1, $2, $3, $4, 0)")
                .bind(circle.id)
                .bind(&circle.name)
                .bind(circle.created_at)
                .bind(circle.changed_at)
                .execute(&mut *tx)
                .await;
        match inserted {
            Err(error) if is_unique_violation(&error) => {
                return Err(StoreError::Duplicate(format!("circle {}", circle.id)));
            }
            other => other?,
        };
        put_member(&mut tx, circle.id, admin).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn circle(&self, id: i64) -> StoreResult<Option<CircleRow>> {
        let _timed = self.timed("circle");
        let row = sqlx::query("SELECT id, name, created_at, changed_at, deleted FROM circles WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(circle_row).transpose()?)
    }

    /// Everyone who is or was in the circle, in the order they joined it.
    pub async fn circle_members(&self, id: i64) -> StoreResult<Vec<MemberRow>> {
        let _timed = self.timed("circle_members");
        let rows = sqlx::query(concat!(
            "SELECT ",
            member_columns!(),
            " FROM circle_members m JOIN accounts a ON a.id = m.account_id \
             WHERE m.circle_id = $1 ORDER BY m.changed_at, m.account_id"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(member_row).collect::<Result<_, _>>()?)
    }

    /// The circles `account` is or was in, with its own place in each.
    pub async fn circles_of(&self, account: i64) -> StoreResult<Vec<(CircleRow, MemberRow)>> {
        let _timed = self.timed("circles_of");
        let rows = sqlx::query(concat!(
            "SELECT c.id, c.name, c.created_at, c.changed_at, c.deleted, ",
            member_columns!(),
            " FROM circle_members m JOIN circles c ON c.id = m.circle_id JOIN accounts a ON a.id = m.account_id \
             WHERE m.account_id = $1 ORDER BY c.created_at, c.id"
        ))
        .bind(account)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|row| Ok((circle_row(row)?, member_row(row)?))).collect::<Result<_, sqlx::Error>>()?)
    }

    /// Sets one member's role and state (adding the member if new) and marks
    /// the circle changed.
    pub async fn put_circle_member(&self, circle: i64, member: &MemberRow) -> StoreResult<()> {
        let _timed = self.timed("put_circle_member");
        let mut tx = self.write_transaction().await?;
        put_member(&mut tx, circle, member).await?;
        sqlx::query("UPDATE circles SET changed_at = $2 WHERE id = $1")
            .bind(circle)
            .bind(member.changed_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks a circle deleted; its member rows stay, so each member's next
    /// look at their address book is told.
    pub async fn delete_circle(&self, circle: i64, at: i64) -> StoreResult<()> {
        let _timed = self.timed("delete_circle");
        sqlx::query("UPDATE circles SET deleted = 1, changed_at = $2 WHERE id = $1")
            .bind(circle)
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

async fn put_member(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    circle: i64,
    member: &MemberRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO circle_members (circle_id, account_id, role, state, inviter_id, changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (circle_id, account_id) DO UPDATE SET role = $3, state = $4, inviter_id = $5, changed_at = $6",
    )
    .bind(circle)
    .bind(member.account_id)
    .bind(member.role)
    .bind(member.state)
    .bind(member.inviter_id)
    .bind(member.changed_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
