//! A software authenticator for the passkey tests: it answers the options the server sends as
//! a browser with a platform authenticator would (`navigator.credentials.create()` and
//! `.get()`), in WebAuthn's JSON form. Each credential is a P-256 key (ES256) kept with its
//! user handle and signature counter; attestation is "none", user verification is reported
//! unless turned off. Self-contained, so the library's own tests use it too.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_cbor_2::Value as Cbor;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).expect("base64url")
}

const USER_PRESENT: u8 = 0x01;
const USER_VERIFIED: u8 = 0x04;
const ATTESTED: u8 = 0x40;

pub struct DeviceCredential {
    pub id: Vec<u8>,
    key: SigningKey,
    pub user_handle: Vec<u8>,
    pub counter: u32,
}

pub struct Device {
    /// What the browser would put in `clientDataJSON.origin`: the page's origin.
    pub origin: String,
    /// Whether the authenticator says it verified its user (fingerprint, PIN).
    pub verifies_user: bool,
    pub credentials: Vec<DeviceCredential>,
}

fn random_key() -> SigningKey {
    loop {
        let bytes: [u8; 32] = rand::random();
        if let Ok(key) = SigningKey::from_slice(&bytes) {
            return key;
        }
    }
}

impl Device {
    pub fn new(origin: &str) -> Device {
        Device { origin: origin.to_string(), verifies_user: true, credentials: Vec::new() }
    }

    fn flags(&self) -> u8 {
        if self.verifies_user {
            USER_PRESENT | USER_VERIFIED
        } else {
            USER_PRESENT
        }
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        json!({ "type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": false })
            .to_string()
            .into_bytes()
    }

    /// Answers creation options (`{"publicKey": {...}}`) with a new credential, as
    /// `navigator.credentials.create()` would.
    pub fn create(&mut self, options: &Value) -> Value {
        let o = &options["publicKey"];
        let user_handle = unb64(o["user"]["id"].as_str().expect("user.id"));
        let id: [u8; 16] = rand::random();
        self.credentials.push(DeviceCredential {
            id: id.to_vec(),
            key: random_key(),
            user_handle,
            counter: 0,
        });
        self.attest(options, self.credentials.len() - 1)
    }

    /// Answers creation options with credential `index` again (as a second account's
    /// registration of a credential an authenticator already holds would).
    pub fn attest(&self, options: &Value, index: usize) -> Value {
        let o = &options["publicKey"];
        let credential = &self.credentials[index];
        let rp_id = o["rp"]["id"].as_str().expect("rp.id");
        let challenge = o["challenge"].as_str().expect("challenge");
        let client_data = self.client_data("webauthn.create", challenge);

        let point = credential.key.verifying_key().to_sec1_point(false);
        let xy = &point.as_bytes()[1..];
        let cose = Cbor::Map(
            [
                (Cbor::Integer(1), Cbor::Integer(2)),
                (Cbor::Integer(3), Cbor::Integer(-7)),
                (Cbor::Integer(-1), Cbor::Integer(1)),
                (Cbor::Integer(-2), Cbor::Bytes(xy[..32].to_vec())),
                (Cbor::Integer(-3), Cbor::Bytes(xy[32..].to_vec())),
            ]
            .into_iter()
            .collect(),
        );
        let mut auth_data = Sha256::digest(rp_id.as_bytes()).to_vec();
        auth_data.push(self.flags() | ATTESTED);
        auth_data.extend_from_slice(&credential.counter.to_be_bytes());
        auth_data.extend_from_slice(&[0; 16]);
        auth_data.extend_from_slice(&(credential.id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&credential.id);
        auth_data.extend_from_slice(&serde_cbor_2::to_vec(&cose).expect("cbor"));
        let attestation = Cbor::Map(
            [
                (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
                (Cbor::Text("attStmt".into()), Cbor::Map(Default::default())),
                (Cbor::Text("authData".into()), Cbor::Bytes(auth_data)),
            ]
            .into_iter()
            .collect(),
        );
        json!({
            "id": b64(&credential.id),
            "rawId": b64(&credential.id),
            "type": "public-key",
            "response": {
                "attestationObject": b64(&serde_cbor_2::to_vec(&attestation).expect("cbor")),
                "clientDataJSON": b64(&client_data),
                "transports": ["internal"],
            },
            "extensions": { "credProps": { "rk": true } },
        })
    }

    /// Answers request options as `navigator.credentials.get()` would: with the first
    /// credential it holds that the options allow (any, when they name none).
    pub fn get(&mut self, options: &Value) -> Value {
        let o = &options["publicKey"];
        let allowed: Vec<Vec<u8>> = o["allowCredentials"]
            .as_array()
            .map(|list| list.iter().map(|c| unb64(c["id"].as_str().expect("id"))).collect())
            .unwrap_or_default();
        let index = self
            .credentials
            .iter()
            .position(|c| allowed.is_empty() || allowed.contains(&c.id))
            .expect("a credential the options allow");
        self.assert_with(options, index)
    }

    /// Answers request options with credential `index`, counting one more use.
    pub fn assert_with(&mut self, options: &Value, index: usize) -> Value {
        let o = &options["publicKey"];
        let rp_id = o["rpId"].as_str().expect("rpId");
        let challenge = o["challenge"].as_str().expect("challenge");
        let client_data = self.client_data("webauthn.get", challenge);
        let flags = self.flags();
        let credential = &mut self.credentials[index];
        credential.counter += 1;
        let mut auth_data = Sha256::digest(rp_id.as_bytes()).to_vec();
        auth_data.push(flags);
        auth_data.extend_from_slice(&credential.counter.to_be_bytes());
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature: Signature = credential.key.sign(&signed);
        json!({
            "id": b64(&credential.id),
            "rawId": b64(&credential.id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(&client_data),
                "signature": b64(signature.to_der().as_bytes()),
                "userHandle": b64(&credential.user_handle),
            },
            "extensions": {},
        })
    }
}
