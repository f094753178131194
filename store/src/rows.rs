//! Records as table rows: the columns every SQL store keeps (service, kind, key, identity,
//! created, version, data) and the checks on the way back in.

use watchword_core::service::{Kind, Record, Write};
use watchword_core::Error;

/// A row read from a records table (of a kind the query asked for).
pub(crate) struct Row<'a> {
    pub kind: Kind,
    pub key: &'a str,
    pub identity: &'a str,
    pub created: i64,
    pub version: i64,
    pub data: &'a str,
}

impl Row<'_> {
    /// The record the row holds. The indexed columns must agree with the record itself, so a
    /// row edited by hand cannot move a record to another key, identity or version.
    pub fn record(self) -> Result<Record, Error> {
        let kind = self.kind;
        let unreadable =
            |problem: &str| Error::storage(format!("the stored {} record {} {problem}", kind.as_str(), self.key));
        let record = Record::from_stored(kind, self.data).map_err(|_| unreadable("cannot be read"))?;
        let agrees = record.key().as_str() == self.key
            && record.identity().as_str() == self.identity
            && i64::try_from(record.date_created()).ok() == Some(self.created)
            && i64::try_from(record.version()).ok() == Some(self.version);
        if !agrees {
            return Err(unreadable("disagrees with its row's key, identity, date or version"));
        }
        Ok(record)
    }
}

/// What a row write stores.
pub(crate) struct RowData {
    pub identity: String,
    pub created: i64,
    pub version: i64,
    pub data: String,
}

/// One write of a commit as column values; `row` is `None` for a delete.
pub(crate) struct RowWrite {
    pub kind: &'static str,
    pub key: String,
    pub expected: i64,
    pub row: Option<RowData>,
}

fn column(n: u64, what: &str) -> Result<i64, Error> {
    i64::try_from(n).map_err(|_| Error::storage(format!("a {what} too large for the store")))
}

/// A `date_created` as a column value.
pub(crate) fn created(n: u64) -> Result<i64, Error> {
    column(n, "date")
}

impl RowWrite {
    pub fn new(write: &Write) -> Result<RowWrite, Error> {
        let key = write.key();
        let row = match write {
            Write::Put { record, .. } => Some(RowData {
                identity: record.identity().as_str().to_string(),
                created: created(record.date_created())?,
                version: column(record.version(), "version")?,
                data: record.to_stored(),
            }),
            Write::Delete { .. } => None,
        };
        Ok(RowWrite {
            kind: key.kind().as_str(),
            key: key.as_str().to_string(),
            expected: column(write.expected(), "version")?,
            row,
        })
    }
}
