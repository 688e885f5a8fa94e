from airflow.sdk.assets import Asset, AssetAlias, AssetAll, AssetAny, Metadata  # noqa: F401
