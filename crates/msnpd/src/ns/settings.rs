//! Privacy settings (`BLP`, `GTC`) and properties (`PRP`, `REA`, `SBP`) in MSNP2–12.

use msnp::text::{decode_param, encode_param};
use msnp::{ErrorCode, Frame};

use super::Session;
use super::lists::is_guid;
use crate::core::accounts::normalize_email;

/// Longest phone property value accepted (MSNP.md §2.7).
const MAX_PROPERTY: usize = 95;
/// Properties a client may set with `PRP` besides `MFN`.
const PHONE_PROPERTIES: [&str; 6] = ["PHH", "PHW", "PHM", "MOB", "MBE", "WWE"];

impl Session {
    /// `BLP n AL|BL` and `GTC n A|N` share their reply shape.
    async fn set_mode(&mut self, trid: u32, command: &str, value: &str, allow: Option<bool>, ask: Option<bool>) {
        let Some(me) = self.me() else { return };
        match self.ctx.core.set_privacy(&me, allow, ask).await {
            Ok(serial) => {
                let mut params = vec![trid.to_string()];
                if self.dialect.has_list_versions() {
                    params.push(serial.to_string());
                }
                params.push(value.to_owned());
                self.send(Frame::with_params(command, params));
            }
            Err(error) => self.list_error(trid, error),
        }
    }

    pub(super) async fn blp(&mut self, trid: u32, frame: &Frame) {
        match frame.params.get(1) {
            Some("AL") => self.set_mode(trid, "BLP", "AL", Some(true), None).await,
            Some("BL") => self.set_mode(trid, "BLP", "BL", Some(false), None).await,
            _ => self.error(ErrorCode::InvalidParameter, trid),
        }
    }

    pub(super) async fn gtc(&mut self, trid: u32, frame: &Frame) {
        match frame.params.get(1) {
            Some("A") => self.set_mode(trid, "GTC", "A", None, Some(true)).await,
            Some("N") => self.set_mode(trid, "GTC", "N", None, Some(false)).await,
            _ => self.error(ErrorCode::InvalidParameter, trid),
        }
    }

    /// `PRP n KEY [value]`: phone properties, and `MFN` (the friendly name) from MSNP10.
    pub(super) async fn prp(&mut self, trid: u32, frame: &Frame) {
        let Some(me) = self.me() else { return };
        let Some(key) = frame.params.get(1) else {
            return self.error(ErrorCode::InvalidParameter, trid);
        };
        let value = frame.params.get(2).map(str::to_owned).unwrap_or_default();
        if key == "MFN" && !self.dialect.renames_with_rea() {
            let Some(name) = self.checked_name(&value) else {
                return self.error(ErrorCode::InvalidFriendlyName, trid);
            };
            return match self.ctx.core.set_friendly_name(&me, &name).await {
                Ok(()) => self.send(Frame::with_params("PRP", [trid.to_string(), "MFN".into(), encode_param(&name)])),
                Err(error) => self.list_error(trid, error.into()),
            };
        }
        if !PHONE_PROPERTIES.contains(&key) || value.len() > MAX_PROPERTY {
            return self.error(ErrorCode::InvalidParameter, trid);
        }
        let Some(decoded) = decode_param(&value) else {
            return self.error(ErrorCode::InvalidParameter, trid);
        };
        match self.ctx.core.set_property(&me, key, &decoded).await {
            Ok(serial) => {
                let mut params = vec![trid.to_string()];
                if self.dialect.has_list_versions() {
                    params.push(serial.to_string());
                }
                params.push(key.to_owned());
                if !decoded.is_empty() {
                    params.push(encode_param(&decoded));
                }
                self.send(Frame::with_params("PRP", params));
            }
            Err(error) => self.list_error(trid, error),
        }
    }

    /// `REA n email name` (MSNP8–9): the user's own friendly name.
    pub(super) async fn rea(&mut self, trid: u32, frame: &Frame) {
        let Some(me) = self.me() else { return };
        let (Some(email), Some(encoded)) = (frame.params.get(1), frame.params.get(2)) else {
            return self.error(ErrorCode::InvalidParameter, trid);
        };
        if normalize_email(email).as_deref() != Some(me.email.as_str()) {
            return self.error(ErrorCode::InvalidParameter, trid);
        }
        let Some(name) = self.checked_name(encoded) else {
            return self.error(ErrorCode::InvalidFriendlyName, trid);
        };
        match self.ctx.core.set_friendly_name(&me, &name).await {
            Ok(()) => {
                let serial = self.serial().to_string();
                self.send(Frame::with_params("REA", [trid.to_string(), serial, me.email.clone(), encode_param(&name)]));
            }
            Err(error) => self.list_error(trid, error.into()),
        }
    }

    /// `SBP n guid MFN name` (MSNP10–12): the name the user keeps for a contact.
    pub(super) async fn sbp(&mut self, trid: u32, frame: &Frame) {
        let Some(me) = self.me() else { return };
        let (Some(guid), Some(key), Some(encoded)) = (frame.params.get(1), frame.params.get(2), frame.params.get(3))
        else {
            return self.error(ErrorCode::InvalidParameter, trid);
        };
        if key != "MFN" || !is_guid(guid) {
            return self.error(ErrorCode::InvalidParameter, trid);
        }
        let Some(name) = self.checked_name(encoded) else {
            return self.error(ErrorCode::InvalidFriendlyName, trid);
        };
        let Some(contact) = me.lock().lists.by_guid(guid).map(|c| c.id) else {
            return self.error(ErrorCode::NotOnList, trid);
        };
        match self.ctx.core.set_contact_nickname(&me, contact, &name).await {
            Ok(_) => self.send(Frame::with_params(
                "SBP",
                [trid.to_string(), guid.to_owned(), "MFN".into(), encode_param(&name)],
            )),
            Err(error) => self.list_error(trid, error),
        }
    }
}
