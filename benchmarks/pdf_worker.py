"""One full index build of a folder of PDFs by one system, in its own process; prints its
measurements as JSON (the pattern of index_worker.py, whose chunk sizes the peers share).

    python benchmarks/pdf_worker.py SYSTEM PDFS OUT

SYSTEM is ours | ours-int8 | langchain | llamaindex. ours: `sync_index`, what `rag index`
and `Assistant.open` run (each PDF parsed page by page with pypdfium2 in a limited child
process, chunked, embedded on onnxruntime fp32, FAISS + BM25, saved); ours-int8 the same
with --embedding-backend onnx-int8. langchain: `PyPDFLoader` (pypdf, a Document per page)
+ RecursiveCharacterTextSplitter + FAISS with HuggingFaceEmbeddings + save_local.
llamaindex: SimpleDirectoryReader with its `PDFReader` (pypdf, a Document per page) +
SentenceSplitter + VectorStoreIndex over FaissVectorStore + persist. Every system loads
the same local all-MiniLM-L6-v2 weights before the clock starts.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import current_rss_mb, emit, peak_rss_mb  # noqa: E402
from index_worker import CHAR_OVERLAP, CHARS, TOKEN_OVERLAP, TOKENS, model_path  # noqa: E402


def ours(pdfs: Path, out: Path, backend: str = "auto") -> dict:
    from rag.config import ModelSettings, Settings
    from rag.embedding import load_embedder
    from rag.indexing import sync_index

    embedder = load_embedder(ModelSettings(embedding_backend=backend))
    embedder.embed(["warm up"])
    loaded = current_rss_mb()
    started = time.perf_counter()
    _, report = sync_index(pdfs, out, embedder, Settings())
    if report.skipped:
        raise SystemExit(f"ours skipped {[(s.source, s.reason) for s in report.skipped]}")
    return dict(seconds=time.perf_counter() - started, chunks=report.chunks_total,
                files=report.files_total, rss_after_load_mb=loaded)


def langchain(pdfs: Path, out: Path) -> dict:
    from langchain_community.document_loaders import PyPDFLoader
    from langchain_community.embeddings import HuggingFaceEmbeddings
    from langchain_community.vectorstores import FAISS
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    embeddings = HuggingFaceEmbeddings(model_name=model_path(), model_kwargs={"device": "cpu"},
                                       encode_kwargs={"normalize_embeddings": True})
    loaded = current_rss_mb()
    started = time.perf_counter()
    pages = [page for pdf in sorted(pdfs.glob("*.pdf")) for page in PyPDFLoader(str(pdf)).load()]
    chunks = RecursiveCharacterTextSplitter(chunk_size=CHARS, chunk_overlap=CHAR_OVERLAP).split_documents(pages)
    FAISS.from_documents(chunks, embeddings).save_local(str(out))
    return dict(seconds=time.perf_counter() - started, chunks=len(chunks), pages_read=len(pages),
                rss_after_load_mb=loaded)


def llamaindex(pdfs: Path, out: Path) -> dict:
    import faiss
    from llama_index.core import Settings as LlamaSettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.readers.file import PDFReader
    from llama_index.vector_stores.faiss import FaissVectorStore

    LlamaSettings.embed_model = HuggingFaceEmbedding(model_name=model_path(), device="cpu")
    LlamaSettings.llm = None
    loaded = current_rss_mb()
    started = time.perf_counter()
    pages = SimpleDirectoryReader(str(pdfs), required_exts=[".pdf"],
                                  file_extractor={".pdf": PDFReader(return_full_document=False)}).load_data()
    storage = StorageContext.from_defaults(vector_store=FaissVectorStore(faiss_index=faiss.IndexFlatIP(384)))
    index = VectorStoreIndex.from_documents(
        pages, storage_context=storage,
        transformations=[SentenceSplitter(chunk_size=TOKENS, chunk_overlap=TOKEN_OVERLAP)])
    index.storage_context.persist(persist_dir=str(out))
    return dict(seconds=time.perf_counter() - started, chunks=len(index.docstore.docs), pages_read=len(pages),
                rss_after_load_mb=loaded)


SYSTEMS = {"ours": ours, "ours-int8": lambda p, o: ours(p, o, "onnx-int8"),
           "langchain": langchain, "llamaindex": llamaindex}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("system", choices=sorted(SYSTEMS))
    parser.add_argument("pdfs", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    result = SYSTEMS[args.system](args.pdfs, args.out)
    peak = peak_rss_mb()
    result.update(system=args.system, peak_rss_mb=peak, peak_growth_mb=peak - result["rss_after_load_mb"])
    emit(result)


if __name__ == "__main__":
    main()
