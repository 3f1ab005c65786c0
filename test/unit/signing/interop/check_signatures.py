"""Independent re-check of signatures written by model-inspect, with Python's `cryptography` and
`pathlib`, following model_signing 1.x (verify key) and cosign (verify-blob --key) rules:

  model   <model_dir> <public.pem>   model.sig: bundle v0.3, hint = hex(sha256(PEM)), PAE signature
                                      with the curve's hash, statement v1, resources in PurePosixPath
                                      order, subject digest = sha256(concat raw digests), files re-hashed
  blob    <file> <bundle> <public.pem>  v0.3 message signature: hint = b64(sha256(DER)), digest and
                                      ECDSA signature over the file
Prints OK or raises.
"""
import base64
import hashlib
import json
import pathlib
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

HASH_FOR_CURVE = {"secp256r1": hashes.SHA256(), "secp384r1": hashes.SHA384(), "secp521r1": hashes.SHA512()}


def pae(payload_type: str, payload: bytes) -> bytes:
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def check_model(model_dir: str, pub_path: str) -> None:
    root = pathlib.Path(model_dir)
    pem = pathlib.Path(pub_path).read_bytes()
    key = serialization.load_pem_public_key(pem)
    bundle = json.loads((root / "model.sig").read_text())
    assert bundle["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json", bundle["mediaType"]
    spki_pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert bundle["verificationMaterial"]["publicKey"]["hint"] == hashlib.sha256(spki_pem).hexdigest(), "hint"
    env = bundle["dsseEnvelope"]
    assert env["payloadType"] == "application/vnd.in-toto+json"
    payload = base64.b64decode(env["payload"])
    sig = base64.b64decode(env["signatures"][0]["sig"])
    key.verify(sig, pae(env["payloadType"], payload), ec.ECDSA(HASH_FOR_CURVE[key.curve.name]))
    st = json.loads(payload)
    assert st["_type"] == "https://in-toto.io/Statement/v1"
    assert st["predicateType"] == "https://model_signing/signature/v1.0"
    resources = st["predicate"]["resources"]
    ser = st["predicate"]["serialization"]
    assert ser["method"] == "files" and ser["hash_type"] == "sha256"
    h = hashlib.sha256()
    for r in resources:
        h.update(bytes.fromhex(r["digest"]))
    assert st["subject"][0]["digest"]["sha256"] == h.hexdigest(), "subject digest"
    ignore = [pathlib.PurePosixPath(p) for p in ser.get("ignore_paths", [])]
    local = {}
    for p in root.glob("**/*"):
        if not p.is_file() or p.is_symlink():
            continue
        rel = pathlib.PurePosixPath(p.relative_to(root).as_posix())
        if any(rel == i or rel.is_relative_to(i) for i in ignore):
            continue
        local[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    expected_order = [str(p) for p in sorted(local)]
    assert [r["name"] for r in resources] == expected_order, ([r["name"] for r in resources], expected_order)
    for r in resources:
        assert local[pathlib.PurePosixPath(r["name"])] == r["digest"], r["name"]


def check_blob(file: str, bundle_path: str, pub_path: str) -> None:
    key = serialization.load_pem_public_key(pathlib.Path(pub_path).read_bytes())
    bundle = json.loads(pathlib.Path(bundle_path).read_text())
    assert bundle["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert bundle["verificationMaterial"]["publicKey"]["hint"] == base64.b64encode(hashlib.sha256(der).digest()).decode(), "hint"
    data = pathlib.Path(file).read_bytes()
    ms = bundle["messageSignature"]
    assert ms["messageDigest"]["algorithm"] == "SHA2_256"
    assert base64.b64decode(ms["messageDigest"]["digest"]) == hashlib.sha256(data).digest(), "digest"
    key.verify(base64.b64decode(ms["signature"]), data, ec.ECDSA(hashes.SHA256()))


if __name__ == "__main__":
    if sys.argv[1] == "model":
        check_model(sys.argv[2], sys.argv[3])
    else:
        check_blob(sys.argv[2], sys.argv[3], sys.argv[4])
    print("OK")
