//! Contact groups in MSNP7–12: `ADG`, `RMG`, `REG`.

use msnp::text::encode_param;
use msnp::{ErrorCode, Frame};

use super::Session;
use super::lists::is_guid;
use crate::core::lists::ListOutcome;

impl Session {
    /// `ADG n name [0]` → `ADG n serial name id 0` (MSNP8–9) or `ADG n name guid` (MSNP10–12).
    pub(super) async fn adg(&mut self, trid: u32, frame: &Frame) {
        let Some(me) = self.me() else { return };
        let Some(encoded) = frame.params.get(1) else {
            return self.error(ErrorCode::InvalidParameter, trid);
        };
        let name = match self.checked_group_name(encoded) {
            Ok(name) => name,
            Err(code) => return self.error(code, trid),
        };
        match self.ctx.core.add_group(&me, &name).await {
            Ok(ListOutcome { serial, group: Some(group), .. }) => {
                let encoded = encode_param(&group.name);
                if self.dialect.has_list_versions() {
                    self.send(Frame::with_params(
                        "ADG",
                        [trid.to_string(), serial.to_string(), encoded, group.legacy_id.to_string(), "0".into()],
                    ));
                } else {
                    self.send(Frame::with_params("ADG", [trid.to_string(), encoded, group.guid]));
                }
            }
            Ok(_) => self.error(ErrorCode::InternalServerError, trid),
            Err(error) => self.list_error(trid, error),
        }
    }

    /// The group a command names: a legacy id (MSNP8–9) or a GUID (MSNP10–12).
    /// `Err(code)` for group 0, a malformed name, or an unknown group.
    fn named_group(&self, param: Option<&str>) -> Result<String, ErrorCode> {
        let param = param.ok_or(ErrorCode::InvalidParameter)?;
        let me = self.me().ok_or(ErrorCode::NotLoggedIn)?;
        if param == "0" {
            return Err(ErrorCode::CannotRemoveGroupZero);
        }
        let state = me.lock();
        if self.dialect.has_list_versions() {
            let id: i32 = param.parse().map_err(|_| ErrorCode::InvalidParameter)?;
            state.lists.group_by_legacy_id(id).map(|g| g.guid.clone()).ok_or(ErrorCode::InvalidGroup)
        } else if is_guid(param) {
            state.lists.group(param).map(|g| g.guid.clone()).ok_or(ErrorCode::InvalidGroup)
        } else {
            Err(ErrorCode::InvalidGroup)
        }
    }

    /// `RMG n group` → `RMG n [serial] group`.
    pub(super) async fn rmg(&mut self, trid: u32, frame: &Frame) {
        let Some(me) = self.me() else { return };
        let guid = match self.named_group(frame.params.get(1)) {
            Ok(guid) => guid,
            Err(code) => return self.error(code, trid),
        };
        match self.ctx.core.remove_group(&me, &guid).await {
            Ok(outcome) => {
                let mut params = vec![trid.to_string()];
                if self.dialect.has_list_versions() {
                    params.push(outcome.serial.to_string());
                }
                params.push(frame.params[1].to_owned());
                self.send(Frame::with_params("RMG", params));
            }
            Err(error) => self.list_error(trid, error),
        }
    }

    /// `REG n group name [0]` → `REG n serial id name 0` (MSNP8–9) or `REG n guid name` (MSNP10–12).
    pub(super) async fn reg(&mut self, trid: u32, frame: &Frame) {
        let Some(me) = self.me() else { return };
        let guid = match self.named_group(frame.params.get(1)) {
            Ok(guid) => guid,
            // Group 0 cannot be renamed either; that is a bad group, not a removal.
            Err(ErrorCode::CannotRemoveGroupZero) => {
                return self.error(ErrorCode::InvalidGroup, trid);
            }
            Err(code) => return self.error(code, trid),
        };
        let Some(encoded) = frame.params.get(2) else {
            return self.error(ErrorCode::InvalidParameter, trid);
        };
        let name = match self.checked_group_name(encoded) {
            Ok(name) => name,
            Err(code) => return self.error(code, trid),
        };
        match self.ctx.core.rename_group(&me, &guid, &name).await {
            Ok(outcome) => {
                let encoded = encode_param(&name);
                if self.dialect.has_list_versions() {
                    self.send(Frame::with_params(
                        "REG",
                        [trid.to_string(), outcome.serial.to_string(), frame.params[1].to_owned(), encoded, "0".into()],
                    ));
                } else {
                    self.send(Frame::with_params("REG", [trid.to_string(), frame.params[1].to_owned(), encoded]));
                }
            }
            Err(error) => self.list_error(trid, error),
        }
    }
}
