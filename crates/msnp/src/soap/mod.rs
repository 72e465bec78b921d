//! SOAP payloads of the Passport and MSNP13+ web services.

pub mod abch;
pub mod envelope;
pub mod oim;
pub mod rst;
pub mod storage;

pub use crate::xml::XmlError as SoapError;
