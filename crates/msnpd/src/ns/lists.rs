//! Contact lists in MSNP2–12: `SYN`, `ADD`/`ADC`, `REM` (groups are in
//! `groups`, privacy settings and properties in `settings`).

use msnp::text::{decode_param, encode_param};
use msnp::{ErrorCode, Frame};

use super::Session;
use super::render::list_timestamp;
use crate::core::accounts::{friendly_name_ok, normalize_email};
use crate::core::lists::{Contact, List, ListError, ListOutcome};
use msnp::dialect::ListSync;

fn parse_list(name: &str) -> Option<List> {
    Some(match name {
        "FL" => List::Forward,
        "AL" => List::Allow,
        "BL" => List::Block,
        "RL" => List::Reverse,
        "PL" => List::Pending,
        _ => return None,
    })
}

pub(super) fn is_guid(text: &str) -> bool {
    uuid::Uuid::try_parse(text).is_ok()
}

impl Session {
    pub(super) fn list_error(&mut self, trid: u32, error: ListError) {
        let code = match error {
            ListError::UnknownUser if self.dialect.has_list_versions() => ErrorCode::InvalidUser,
            ListError::UnknownUser => ErrorCode::InvalidUsername,
            ListError::AlreadyInList => ErrorCode::AlreadyInList,
            ListError::NotOnList => ErrorCode::NotOnList,
            ListError::OppositeList => ErrorCode::AlreadyInOppositeList,
            ListError::ListFull => ErrorCode::ListFull,
            ListError::ReadOnlyList => ErrorCode::InvalidParameter,
            ListError::TooManyGroups => ErrorCode::TooManyGroups,
            ListError::InvalidGroup => ErrorCode::InvalidGroup,
            ListError::GroupExists => ErrorCode::GroupAlreadyExists,
            ListError::GroupNameTooLong => ErrorCode::GroupNameTooLong,
            ListError::NotInGroup => ErrorCode::NotInGroup,
            ListError::Service(error) => {
                tracing::error!(%error, "list change failed");
                ErrorCode::DatabaseServer
            }
        };
        self.error(code, trid);
    }

    /// A friendly name as sent (URL-encoded), if it may be shown (see `friendly_name_ok`).
    pub(super) fn checked_name(&self, encoded: &str) -> Option<String> {
        let max = self.ctx.core.config.max_friendly_name;
        if encoded.len() > max {
            return None;
        }
        decode_param(encoded).filter(|name| friendly_name_ok(name, max))
    }

    pub(super) fn checked_group_name(&self, encoded: &str) -> Result<String, ErrorCode> {
        if encoded.len() > self.ctx.core.config.max_group_name {
            return Err(ErrorCode::GroupNameTooLong);
        }
        decode_param(encoded)
            .filter(|name| !name.trim().is_empty() && !name.chars().any(char::is_control))
            .ok_or(ErrorCode::InvalidParameter)
    }

    /// The legacy group id list of an FL contact (`0` when in no group).
    fn legacy_groups(&self, contact: &Contact) -> String {
        let Some(me) = self.me() else {
            return "0".into();
        };
        let state = me.lock();
        let ids: Vec<String> =
            contact.groups.iter().filter_map(|guid| state.lists.group(guid).map(|g| g.legacy_id.to_string())).collect();
        if ids.is_empty() { "0".into() } else { ids.join(",") }
    }

    /// MSNP2–7: `SYN n serial`, then every line with the TrID and serial, one
    /// `LST n LIST serial index total email name [groups]` per list entry.
    fn syn_per_list(&mut self, trid: u32, frame: &Frame, phones: &[(i64, String, String)]) {
        let Some(me) = self.me() else { return };
        let Some(client_serial) = frame.params.get(1).and_then(|s| s.parse::<i64>().ok()) else {
            return self.error(ErrorCode::InvalidParameter, trid);
        };
        let lists = me.lock().lists.clone();
        let (t, serial) = (trid.to_string(), lists.serial.to_string());
        self.send(Frame::with_params("SYN", [t.clone(), serial.clone()]));
        if client_serial == lists.serial && client_serial > 0 {
            return;
        }
        self.send(Frame::with_params(
            "GTC",
            [t.clone(), serial.clone(), (if lists.gtc_ask { "A" } else { "N" }).into()],
        ));
        self.send(Frame::with_params(
            "BLP",
            [t.clone(), serial.clone(), (if lists.blp_allow { "AL" } else { "BL" }).into()],
        ));
        if self.dialect.has_phone_properties() {
            for (name, value) in &lists.properties {
                self.send(Frame::with_params("PRP", [t.clone(), serial.clone(), name.clone(), encode_param(value)]));
            }
        }
        let groups = self.dialect.has_groups();
        if groups {
            let total = (lists.groups.len() + 1).to_string();
            let all = std::iter::once((0, "Other Contacts".to_owned()))
                .chain(lists.groups.iter().map(|g| (g.legacy_id, g.name.clone())));
            for (index, (id, name)) in all.enumerate() {
                let params = [
                    t.clone(),
                    serial.clone(),
                    (index + 1).to_string(),
                    total.clone(),
                    id.to_string(),
                    encode_param(&name),
                    "0".into(),
                ];
                self.send(Frame::with_params("LSG", params));
            }
        }
        for (list, name) in [(List::Forward, "FL"), (List::Allow, "AL"), (List::Block, "BL"), (List::Reverse, "RL")] {
            let members: Vec<&Contact> = lists.contacts.iter().filter(|c| c.is_on(list)).collect();
            if members.is_empty() {
                self.send(Frame::with_params("LST", [t.clone(), name.into(), serial.clone(), "0".into(), "0".into()]));
                continue;
            }
            let total = members.len().to_string();
            for (index, contact) in members.iter().enumerate() {
                let mut params = vec![
                    t.clone(),
                    name.to_owned(),
                    serial.clone(),
                    (index + 1).to_string(),
                    total.clone(),
                    contact.email.clone(),
                    encode_param(&contact.nickname),
                ];
                if groups && list == List::Forward {
                    params.push(self.legacy_groups(contact));
                }
                self.send(Frame::with_params("LST", params));
                if list == List::Forward && self.dialect.has_phone_properties() {
                    for (_, key, value) in phones.iter().filter(|(id, _, _)| *id == contact.id) {
                        let params = [serial.clone(), contact.email.clone(), key.clone(), encode_param(value)];
                        self.send(Frame::with_params("BPR", params));
                    }
                }
            }
        }
    }

    /// `SYN n serial` (MSNP8–9) or `SYN n ts ts` (MSNP10–12).
    pub(super) async fn syn(&mut self, trid: u32, frame: &Frame) {
        let Some(me) = self.me() else { return };
        // Phones belong to forward-list contacts: without one there is nothing to ask.
        let has_forward = me.lock().lists.contacts.iter().any(|c| c.lists & List::Forward.bit() != 0);
        let phones = if !has_forward {
            Vec::new()
        } else {
            match self.ctx.core.store.contact_properties(me.id).await {
                Ok(phones) => phones,
                Err(error) => return self.list_error(trid, ListError::from(error)),
            }
        };
        // A contact's phone properties follow its LST line.
        let bpr = |contact: &Contact| -> Vec<Frame> {
            phones
                .iter()
                .filter(|(id, _, _)| *id == contact.id)
                .map(|(_, name, value)| Frame::with_params("BPR", [name.clone(), encode_param(value)]))
                .collect()
        };
        if matches!(self.dialect.list_sync(), ListSync::PerList | ListSync::PerListWithGroups) {
            return self.syn_per_list(trid, frame, &phones);
        }
        let lists = me.lock().lists.clone();
        let friendly_name = me.lock().friendly_name.clone();
        let visible_bits = |c: &Contact| c.lists & (if self.dialect.has_pending_list() { 31 } else { 15 });
        let contacts: Vec<&Contact> = lists.contacts.iter().filter(|c| visible_bits(c) != 0).collect();
        let mut lines = Vec::new();
        lines.push(Frame::with_params("GTC", [if lists.gtc_ask { "A" } else { "N" }]));
        lines.push(Frame::with_params("BLP", [if lists.blp_allow { "AL" } else { "BL" }]));
        if !self.dialect.renames_with_rea() {
            lines.push(Frame::with_params("PRP", ["MFN".to_owned(), encode_param(&friendly_name)]));
        }
        for (name, value) in &lists.properties {
            lines.push(Frame::with_params("PRP", [name.clone(), encode_param(value)]));
        }
        let group_lines;
        if self.dialect.has_list_versions() {
            let Some(client_serial) = frame.params.get(1).and_then(|s| s.parse::<i64>().ok()) else {
                return self.error(ErrorCode::InvalidParameter, trid);
            };
            // 0 means "nothing cached": a new, empty list still gets the full answer.
            if client_serial == lists.serial && client_serial > 0 {
                return self.send(Frame::with_params("SYN", [trid.to_string(), lists.serial.to_string()]));
            }
            lines.push(Frame::with_params("LSG", ["0", "Other%20Contacts", "0"]));
            for group in &lists.groups {
                lines.push(Frame::with_params(
                    "LSG",
                    [group.legacy_id.to_string(), encode_param(&group.name), "0".to_owned()],
                ));
            }
            group_lines = lists.groups.len() + 1;
            for contact in &contacts {
                let mut params =
                    vec![contact.email.clone(), encode_param(&contact.nickname), visible_bits(contact).to_string()];
                if contact.is_on(List::Forward) {
                    params.push(self.legacy_groups(contact));
                }
                lines.push(Frame::with_params("LST", params));
                lines.extend(bpr(contact));
            }
            self.send(Frame::with_params(
                "SYN",
                [trid.to_string(), lists.serial.to_string(), contacts.len().to_string(), group_lines.to_string()],
            ));
        } else {
            let (Some(_), Some(_)) = (frame.params.get(1), frame.params.get(2)) else {
                return self.error(ErrorCode::InvalidParameter, trid);
            };
            let lists_ts = list_timestamp(lists.lists_modified);
            let settings_ts = list_timestamp(lists.settings_modified);
            if frame.params[1] == lists_ts && frame.params[2] == settings_ts {
                return self.send(Frame::with_params(
                    "SYN",
                    [trid.to_string(), lists_ts, settings_ts, "0".into(), "0".into()],
                ));
            }
            for group in &lists.groups {
                lines.push(Frame::with_params("LSG", [encode_param(&group.name), group.guid.clone()]));
            }
            group_lines = lists.groups.len();
            for contact in &contacts {
                let mut params = vec![format!("N={}", contact.email), format!("F={}", encode_param(&contact.nickname))];
                if contact.is_on(List::Forward) {
                    params.push(format!("C={}", contact.guid));
                }
                params.push(visible_bits(contact).to_string());
                if self.dialect.lst_has_network_id() {
                    params.push("1".into());
                }
                if contact.is_on(List::Forward) && !contact.groups.is_empty() {
                    params.push(contact.groups.join(","));
                }
                lines.push(Frame::with_params("LST", params));
                lines.extend(bpr(contact));
            }
            self.send(
                Frame::new("SYN")
                    .param(trid)
                    .param(lists_ts)
                    .param(settings_ts)
                    .param(contacts.len())
                    .param(group_lines),
            );
        }
        for line in lines {
            self.send(line);
        }
    }

    fn send_iln(&mut self, trid: u32, outcome: &ListOutcome) {
        if let Some(view) = &outcome.presence {
            self.announce_presence(trid, std::slice::from_ref(view));
        }
    }

    /// `ADD n LIST email nick [group]` (MSNP8–9) → `ADD n LIST serial email nick [group]`.
    pub(super) async fn add(&mut self, trid: u32, frame: &Frame) {
        let Some(me) = self.me() else { return };
        let (Some(list), Some(email)) = (frame.params.get(1).and_then(parse_list), frame.params.get(2)) else {
            return self.error(ErrorCode::InvalidParameter, trid);
        };
        let Some(email) = normalize_email(email) else {
            return self.error(ErrorCode::InvalidParameter, trid);
        };
        let nick_param = frame.params.get(3).map(str::to_owned).unwrap_or_else(|| email.clone());
        let Some(nick) = self.checked_name(&nick_param) else {
            return self.error(ErrorCode::InvalidFriendlyName, trid);
        };
        let group = match frame.params.get(4) {
            Some(_) if list != List::Forward || !self.dialect.has_groups() => {
                return self.error(ErrorCode::InvalidParameter, trid);
            }
            Some(id) => match id.parse::<i32>() {
                Ok(0) => None,
                Ok(id) => match me.lock().lists.group_by_legacy_id(id) {
                    Some(group) => Some(group.guid.clone()),
                    None => return self.error(ErrorCode::InvalidGroup, trid),
                },
                Err(_) => return self.error(ErrorCode::InvalidParameter, trid),
            },
            None => None,
        };
        match self.ctx.core.add_to_list(&me, list, &email, &nick, group.as_deref()).await {
            Ok(outcome) => {
                let mut params = vec![
                    trid.to_string(),
                    frame.params[1].to_owned(),
                    outcome.serial.to_string(),
                    email,
                    encode_param(&nick),
                ];
                if let Some(group) = frame.params.get(4) {
                    params.push(group.to_owned());
                }
                self.send(Frame::with_params("ADD", params));
                self.send_iln(trid, &outcome);
            }
            Err(error) => self.list_error(trid, error),
        }
    }

    /// `ADC n FL N=email F=nick [group]`, `ADC n FL C=guid group`, `ADC n AL|BL N=email` (MSNP10–12).
    pub(super) async fn adc(&mut self, trid: u32, frame: &Frame) {
        let Some(me) = self.me() else { return };
        let Some(list) = frame.params.get(1).and_then(parse_list) else {
            return self.error(ErrorCode::InvalidParameter, trid);
        };
        let (mut email, mut nick, mut guid, mut group) = (None, None, None, None);
        for param in frame.params.iter().skip(2) {
            if let Some(value) = param.strip_prefix("N=") {
                email = Some(value);
            } else if let Some(value) = param.strip_prefix("F=") {
                nick = Some(value);
            } else if let Some(value) = param.strip_prefix("C=") {
                guid = Some(value);
            } else if group.is_none() {
                group = Some(param);
            } else {
                return self.error(ErrorCode::InvalidParameter, trid);
            }
        }
        if let Some(group) = group
            && (list != List::Forward || !is_guid(group))
        {
            return self.error(ErrorCode::InvalidParameter, trid);
        }
        if let Some(guid) = guid {
            // An existing contact into a group.
            let (Some(group), List::Forward) = (group, list) else {
                return self.error(ErrorCode::InvalidParameter, trid);
            };
            if !is_guid(guid) {
                return self.error(ErrorCode::InvalidParameter, trid);
            }
            let Some(contact) = me.lock().lists.by_guid(guid).map(|c| c.id) else {
                return self.error(ErrorCode::NotOnList, trid);
            };
            return match self.ctx.core.add_to_group(&me, contact, group).await {
                Ok(_) => self.send(Frame::with_params(
                    "ADC",
                    [trid.to_string(), "FL".into(), format!("C={guid}"), group.to_owned()],
                )),
                Err(error) => self.list_error(trid, error),
            };
        }
        let Some(email) = email.and_then(normalize_email) else {
            return self.error(ErrorCode::InvalidParameter, trid);
        };
        if list == List::Reverse {
            return self.adc_reverse(trid, &me, &email).await;
        }
        let nick_param = nick.map_or_else(|| email.clone(), str::to_owned);
        let Some(nick_text) = self.checked_name(&nick_param) else {
            return self.error(ErrorCode::InvalidFriendlyName, trid);
        };
        match self.ctx.core.add_to_list(&me, list, &email, &nick_text, group).await {
            Ok(outcome) => {
                let mut params = vec![trid.to_string(), frame.params[1].to_owned(), format!("N={email}")];
                if list == List::Forward {
                    params.push(format!("F={}", encode_param(&nick_text)));
                    if let Some(contact) = &outcome.contact {
                        params.push(format!("C={}", contact.guid));
                    }
                    if let Some(group) = group {
                        params.push(group.to_owned());
                    }
                }
                self.send(Frame::with_params("ADC", params));
                self.send_iln(trid, &outcome);
            }
            Err(error) => self.list_error(trid, error),
        }
    }

    /// `ADC n RL N=email`: the user has seen that this contact added them
    /// (msn-pecan sends it with `REM PL` for each pending contact after
    /// sign-in). The reverse list itself stays the server's: naming someone
    /// who has not added the user is a bad parameter, as before.
    async fn adc_reverse(&mut self, trid: u32, me: &std::sync::Arc<crate::core::hub::Online>, email: &str) {
        let Some(contact) = me.lock().lists.by_email(email).map(|c| c.id) else {
            return self.error(ErrorCode::InvalidParameter, trid);
        };
        match self.ctx.core.acknowledge(me, contact).await {
            Ok(_) => self.send(Frame::with_params("ADC", [trid.to_string(), "RL".into(), format!("N={email}")])),
            Err(ListError::NotOnList) => self.error(ErrorCode::InvalidParameter, trid),
            Err(error) => self.list_error(trid, error),
        }
    }

    /// `REM n LIST email [group]` (MSNP8–9); `REM n FL guid [group]` or `REM n AL|BL|PL email` (MSNP10–12).
    pub(super) async fn rem(&mut self, trid: u32, frame: &Frame) {
        let Some(me) = self.me() else { return };
        let (Some(list), Some(who)) = (frame.params.get(1).and_then(parse_list), frame.params.get(2)) else {
            return self.error(ErrorCode::InvalidParameter, trid);
        };
        if list == List::Reverse || (list == List::Pending && !self.dialect.has_pending_list()) {
            return self.error(ErrorCode::InvalidParameter, trid);
        }
        let by_guid = !self.dialect.has_list_versions() && list == List::Forward;
        let contact = {
            let state = me.lock();
            if by_guid {
                if !is_guid(who) {
                    drop(state);
                    return self.error(ErrorCode::InvalidParameter, trid);
                }
                state.lists.by_guid(who).map(|c| (c.id, c.groups.is_empty()))
            } else {
                let who = who.strip_prefix("N=").unwrap_or(who);
                match normalize_email(who) {
                    Some(email) => state.lists.by_email(&email).map(|c| (c.id, c.groups.is_empty())),
                    None => {
                        drop(state);
                        return self.error(ErrorCode::InvalidParameter, trid);
                    }
                }
            }
        };
        let Some((contact, ungrouped)) = contact else {
            return self.error(ErrorCode::NotOnList, trid);
        };
        if list == List::Pending && frame.params.len() == 3 {
            // An answered request: PL is cleared, the contact stays on RL. Also
            // after `ADC RL`, which answers it too (msn-pecan sends both).
            return match self.ctx.core.acknowledge(&me, contact).await {
                Ok(_) => self.send(Frame::with_params(
                    "REM",
                    frame.params.iter().take(3).map(str::to_owned).collect::<Vec<_>>(),
                )),
                Err(error) => self.list_error(trid, error),
            };
        }
        let group = match frame.params.get(3) {
            None => None,
            Some(_) if list != List::Forward => {
                return self.error(ErrorCode::InvalidParameter, trid);
            }
            Some(group) if self.dialect.has_list_versions() => match group.parse::<i32>() {
                // Group 0 is "no group": removing an ungrouped contact from it removes it.
                Ok(0) if ungrouped => None,
                Ok(0) => return self.error(ErrorCode::NotInGroup, trid),
                Ok(id) => match me.lock().lists.group_by_legacy_id(id) {
                    Some(group) => Some(group.guid.clone()),
                    None => return self.error(ErrorCode::InvalidGroup, trid),
                },
                Err(_) => return self.error(ErrorCode::InvalidParameter, trid),
            },
            Some(group) if is_guid(group) => Some(group.to_owned()),
            Some(_) => return self.error(ErrorCode::InvalidParameter, trid),
        };
        match self.ctx.core.remove_from_list(&me, list, contact, group.as_deref()).await {
            Ok(outcome) => {
                let mut params = vec![trid.to_string(), frame.params[1].to_owned()];
                if self.dialect.has_list_versions() {
                    params.push(outcome.serial.to_string());
                }
                params.extend(frame.params.iter().skip(2).map(str::to_owned));
                self.send(Frame::with_params("REM", params));
            }
            Err(error) => self.list_error(trid, error),
        }
    }
}
